"""The one settings object: configuration only, read from DRAFTER_* environment variables or `.env`.

Nothing here builds a backend (that is `drafter.services`) or touches the environment on import
(the entry points call `drafter.core.environment.go_offline`). Every field's description is the
README's configuration table, which `settings_table()` writes and a docs test keeps true.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from drafter.core.errors import SettingsError
from drafter.core.secrets import remember, scrub, url_password


class Settings(BaseSettings):
    """Every knob of Drafter; each field's description is its row in README's table."""

    model_config = SettingsConfigDict(
        env_prefix="DRAFTER_", env_file=".env", extra="ignore", validate_default=True
    )

    # where things live
    data_dir: Path = Field(
        Path("var"),
        description="where the embedded store and the BM25 indexes live",
    )
    chroma_path: Path | None = Field(
        None,
        description="the embedded Chroma folder",
        json_schema_extra={"shown": "`$DRAFTER_DATA_DIR/chroma`"},
    )
    chroma_url: str | None = Field(
        None,
        description=(
            "use a Chroma server instead, e.g. `http://chroma.internal:8000` (`chroma run`)"
        ),
    )
    collection_prefix: str = Field(
        "drafter",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}$",
        description="collections are `<prefix>_qa` and `<prefix>_faq`",
    )

    # embeddings and remote calls
    embedding_backend: Literal["local", "openai"] = Field(
        "local",
        description="`local` (bundled all-MiniLM-L6-v2) or `openai`",
    )
    local_embedding_model: Path | None = Field(
        None,
        description="a sentence-transformers model folder on disk",
        json_schema_extra={"shown": "bundled"},
    )
    local_embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="`onnx` (ONNX Runtime: the same vectors, about twice as fast) or `torch`",
    )
    openai_api_key: SecretStr | None = Field(
        None,
        description="key for OpenAI or a compatible server (chat and embeddings); never logged",
    )
    openai_base_url: str | None = Field(
        None,
        description="an OpenAI-compatible server (vLLM, Ollama, llama.cpp server)",
    )
    openai_embedding_model: str = Field(
        "text-embedding-3-small",
        description="embedding model name on that server",
    )
    request_timeout: float = Field(
        30.0,
        gt=0,
        description=(
            "seconds before a remote call gives up: each read of a chat or embedding server, "
            "each whole call to a Chroma server or an embedding server, connecting to a "
            "PostgreSQL server"
        ),
        json_schema_extra={"shown": "`30`"},
    )
    generation_timeout: float = Field(
        300.0,
        gt=0,
        description=(
            "seconds a remote chat model may take for one whole reply, retries included; "
            "what it wrote by then is kept"
        ),
        json_schema_extra={"shown": "`300`"},
    )

    # the chat model and drafting
    llm_backend: Literal["local", "openai"] = Field(
        "local",
        description=(
            "`local` (a GGUF model run in-process by llama.cpp) or `openai` (OpenAI or any "
            "compatible server)"
        ),
    )
    local_model_path: Path | None = Field(
        None,
        description=(
            "any GGUF instruct model on disk, e.g. a 7B model a hospital downloaded once; its chat "
            "template is read from the file"
        ),
        json_schema_extra={"shown": "bundled"},
    )
    local_n_ctx: int = Field(
        4096,
        ge=512,
        le=131072,
        description="the local model's context window (tokens)",
    )
    local_threads: int = Field(
        max(1, min(8, os.cpu_count() or 2)),
        ge=1,
        le=256,
        description="threads llama.cpp uses",
        json_schema_extra={"shown": "CPU cores (max 8)"},
    )
    openai_model: str = Field(
        "gpt-4o-mini",
        description="chat model name on the OpenAI-compatible server",
    )
    reply_max_tokens: int = Field(
        320,
        ge=32,
        le=4096,
        description="cap on the short reply's length",
    )
    explainer_max_tokens: int = Field(
        900,
        ge=64,
        le=8192,
        description='cap on the "More Info" explainer\'s length',
    )
    explainer_mode: Literal["auto", "generated", "assembled"] = Field(
        "auto",
        description=(
            "`generated`: the model writes the More Info; if it fails its checks twice it is "
            "assembled from the sources' sentences instead (when they cover at least two "
            "sections). `assembled`: assembled from the sources first, no model call, and "
            "written by the model only when the sources cover too little. `auto`: assembled "
            "with the bundled 0.5B model (measured on K-QA dev: more sentences supported, "
            "far fewer about the patient), generated with any other model"
        ),
    )
    temperature: float = Field(
        0.2,
        ge=0,
        le=2,
        description="sampling temperature (a retry after a failed check adds 0.3)",
    )
    source_chars: int = Field(
        600,
        ge=100,
        le=8000,
        description="characters of each retrieved source given to the model for the explainer",
    )
    reply_sources: int = Field(
        5,
        ge=1,
        le=20,
        description=(
            "how many of those sources the short reply sees (the top ones; numbering is shared)"
        ),
    )
    reply_facts: int = Field(
        6,
        ge=1,
        le=30,
        description=(
            "source sentences an evidence-first reply prompt shows (those nearest the question)"
        ),
    )
    reply_source_chars: int = Field(
        150,
        ge=80,
        le=8000,
        description=(
            "characters of each source for the short reply (a shorter prompt answers sooner)"
        ),
    )

    triage_llm: bool = Field(
        False,
        description=(
            "also ask the chat model (`DRAFTER_LLM_BACKEND`) to triage each question, as a layer "
            "that can only add red flags; off by default because the bundled 0.5B model adds "
            "nothing for its seconds (it named no red flag in 40 labelled messages, about 5 s "
            "each): turn it on with a capable model (it still runs with the bundled one)"
        ),
    )

    check_judge: bool = Field(
        False,
        description=(
            "after each draft, ask the chat model whether each sentence the embeddings call "
            "supported is instead contradicted by its source sentence (another dose, the opposite "
            "advice): one call per page, which can only add `contradicted` marks; off by default "
            "because it is a model call the bundled 0.5B model cannot make reliably: turn it on "
            "with a capable backend"
        ),
    )

    # retrieval
    similar_k: int = Field(
        4,
        ge=1,
        le=50,
        description='how many "Similar Q&A" to show',
    )
    faq_k: int = Field(
        5,
        ge=1,
        le=50,
        description='how many "Related FAQ" to show',
    )
    dense_weight: float = Field(
        1.0,
        ge=0,
        description="weight of the meaning (embedding) ranking in the fusion",
    )
    lexical_weight: float = Field(
        0.2,
        ge=0,
        description="weight of the BM25 ranking in the fusion",
    )
    rrf_k: int = Field(
        5,
        ge=1,
        description="the k of reciprocal rank fusion (smaller trusts the top ranks more)",
    )
    candidates: int = Field(
        50,
        ge=5,
        le=1000,
        description="how many hits each retriever contributes before fusion",
    )
    duplicate_threshold: float = Field(
        0.95,
        gt=0,
        le=1.0,
        description="cosine above which two Q&As count as the same question",
    )
    max_question_chars: int = Field(
        6000,
        ge=100,
        description="longer questions are refused with a clear message",
    )

    # the workflow database and batch jobs
    database_url: str | None = Field(
        None,
        description=(
            "the workflow database (questions, versions, approvals, ratings, users, audit): "
            "SQLite, or PostgreSQL through the bundled psycopg 3 driver, e.g. "
            "`postgresql+psycopg://drafter@db/drafter`; the schema is migrated on start"
        ),
        json_schema_extra={"shown": "`sqlite:///$DRAFTER_DATA_DIR/drafter.db`"},
    )
    batch_concurrency: int = Field(
        8,
        ge=1,
        le=64,
        description=(
            "batch jobs (`drafter explain`, `drafter eval`): requests in flight to a remote "
            "backend; the local model always runs one at a time"
        ),
    )

    # signing in
    session_hours: float = Field(
        12.0,
        gt=0,
        le=720,
        description=(
            "how long a sign-in lasts, a browser refresh included (hours; a shorter value also "
            "ends older sign-ins at once)"
        ),
        json_schema_extra={"shown": "`12`"},
    )
    session_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description=(
            "the key that signs sign-ins (32 characters or more; every app process of one "
            "database needs the same); unset, a random key is made in "
            "`$DRAFTER_DATA_DIR/session.key` (mode 0600) on first use"
        ),
    )

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    def model_post_init(self, context: Any, /) -> None:
        """Error texts are scrubbed of the key and of the URLs' passwords from now on."""
        remember(
            self.openai_api_key.get_secret_value() if self.openai_api_key else None,
            self.session_secret.get_secret_value() if self.session_secret else None,
            *(
                url_password(url)
                for url in (self.chroma_url, self.openai_base_url, self.database_url)
            ),
        )

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'drafter.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def session_key_path(self) -> Path:
        return self.data_dir / "session.key"


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into a one-line error naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DRAFTER_" + str(first["loc"][0]).upper() if first["loc"] else "DRAFTER_*"
        value = first.get("input")
        secret = "key" in name.lower() or "secret" in name.lower()
        shown = "" if isinstance(value, dict) or secret else f" (got {scrub(repr(value))})"
        raise SettingsError(f"bad setting {name}: {first['msg']}{shown}") from None


def settings_table() -> str:
    """README's configuration table, written from the fields' descriptions."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = field.get_default(call_default_factory=True)
        shown = extra.get("shown") or ("(unset)" if default is None else f"`{default}`")
        rows.append(f"| `DRAFTER_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
