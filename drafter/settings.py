"""The one settings object: read from DRAFTER_* environment variables or `.env`; builds backends."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from drafter.errors import SettingsError

if TYPE_CHECKING:
    from drafter.workflow import Workflow
    from knowledge.embeddings import Embedder
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

# Nothing phones home: no Hugging Face downloads, no Chroma telemetry.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Settings(BaseSettings):
    """Every knob of Drafter. Each field is documented in README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="DRAFTER_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(Path("var"), description="Where the store and indexes live.")
    chroma_path: Path | None = Field(None, description="Embedded Chroma folder.")
    chroma_url: str | None = Field(None, description="Chroma server URL, e.g. http://host:8000.")
    collection_prefix: str = Field("drafter", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}$")

    embedding_backend: Literal["local", "openai"] = "local"
    local_embedding_model: Path | None = Field(None, description="sentence-transformers folder.")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_embedding_model: str = "text-embedding-3-small"
    request_timeout: float = Field(30.0, gt=0)

    llm_backend: Literal["local", "openai"] = "local"
    local_model_path: Path | None = Field(None, description="A GGUF file; default: bundled.")
    local_n_ctx: int = Field(4096, ge=512, le=131072)
    local_threads: int = Field(max(1, min(8, os.cpu_count() or 2)), ge=1, le=256)
    openai_model: str = "gpt-4o-mini"
    reply_max_tokens: int = Field(320, ge=32, le=4096)
    explainer_max_tokens: int = Field(900, ge=64, le=8192)
    temperature: float = Field(0.2, ge=0, le=2)
    source_chars: int = Field(600, ge=100, le=8000)
    reply_sources: int = Field(3, ge=1, le=20)
    reply_source_chars: int = Field(150, ge=80, le=8000)

    similar_k: int = Field(4, ge=1, le=50)
    faq_k: int = Field(5, ge=1, le=50)
    dense_weight: float = Field(1.0, ge=0)
    lexical_weight: float = Field(0.2, ge=0)
    rrf_k: int = Field(5, ge=1)
    candidates: int = Field(50, ge=5, le=1000)
    duplicate_threshold: float = Field(0.95, gt=0, le=1.0)
    max_question_chars: int = Field(6000, ge=100)

    database_url: str | None = Field(None, description="SQLAlchemy URL; default: a SQLite file.")
    batch_concurrency: int = Field(8, ge=1, le=64, description="Remote requests in flight.")

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'drafter.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def make_embedder(self) -> Embedder:
        from knowledge.embeddings import make_embedder

        return make_embedder(self)

    def make_store(self, *, create: bool = False) -> KnowledgeStore:
        from knowledge.store import KnowledgeStore

        return KnowledgeStore.open(self, create=create)

    def make_retriever(self, *, store: KnowledgeStore | None = None) -> HybridRetriever:
        from knowledge.retrieval import HybridRetriever

        return HybridRetriever(
            store or self.make_store(), self.make_embedder(), self.index_dir, settings=self
        )

    def make_workflow(self, retriever: Callable[[], HybridRetriever] | None = None) -> Workflow:
        """The workflow on the configured database; approvals publish to the knowledge base
        through `retriever` (built from these settings by default, on first use)."""
        from functools import cache

        from drafter.db import open_database
        from drafter.publish import knowledge_base_publisher
        from drafter.workflow import Workflow

        return Workflow(
            open_database(self.db_url),
            max_question_chars=self.max_question_chars,
            publisher=knowledge_base_publisher(retriever or cache(self.make_retriever)),
        )


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into a one-line error naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DRAFTER_" + str(first["loc"][0]).upper() if first["loc"] else "DRAFTER_*"
        value = first.get("input")
        secret = "key" in name.lower()
        shown = "" if isinstance(value, dict) or secret else f" (got {value!r})"
        raise SettingsError(f"bad setting {name}: {first['msg']}{shown}") from None
