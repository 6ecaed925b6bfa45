"""The composition root: the one place that reads Settings and builds the store, the embedder,
the retriever, the chat backend, the workflow, the sign-ins, the explainer queue and the
publishers.

The CLI, the app, the batch jobs and the benchmarks all get their objects here; each is built on
first use and kept, so listing the inbox never loads the embedding model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from drafter.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from drafter.backends.base import ChatBackend
    from drafter.drafting.evidence import EvidenceChecker
    from drafter.drafting.judge import EvidenceJudge
    from drafter.triage.stage import Layer, Triager
    from drafter.workflow.doctor import Publisher, Workflow
    from drafter.workflow.explainers import ExplainerPublisher, ExplainerQueue
    from drafter.workflow.sign_in import SignIns
    from knowledge.embeddings import Embedder
    from knowledge.retrieval import FusionConfig, HybridRetriever
    from knowledge.store import KnowledgeStore


Built = TypeVar("Built")


class Services:
    """Everything Drafter runs on, built from one Settings and cached per instance."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self._built: dict[str, Any] = {}
        self._stores: list[KnowledgeStore] = []

    def _once(self, name: str, build: Callable[[], Built]) -> Built:
        if name not in self._built:
            self._built[name] = build()
        return cast(Built, self._built[name])

    # --- knowledge --------------------------------------------------------------------------

    def embedder(self) -> Embedder:
        """The configured embedder; the local model is loaded once per process."""
        from knowledge.embeddings import OpenAIEmbedder, local_embedder

        s = self.settings

        def build() -> Embedder:
            if s.embedding_backend == "openai":
                key = s.openai_api_key.get_secret_value() if s.openai_api_key else None
                return OpenAIEmbedder(
                    s.openai_embedding_model, key, s.openai_base_url, s.request_timeout
                )
            return local_embedder(s.local_embedding_model, s.local_embedding_runtime)

        return self._once("embedder", build)

    def store(self, *, create: bool = False) -> KnowledgeStore:
        """The Chroma store (a server when DRAFTER_CHROMA_URL is set); `create` allows a new one."""
        from knowledge.store import KnowledgeStore

        s = self.settings
        store = KnowledgeStore.open(
            path=s.chroma_dir,
            url=s.chroma_url,
            prefix=s.collection_prefix,
            create=create,
            timeout=s.request_timeout,
        )
        self._stores.append(store)
        return store

    @property
    def fusion(self) -> FusionConfig:
        from knowledge.retrieval import FusionConfig

        s = self.settings
        return FusionConfig(
            s.dense_weight, s.lexical_weight, s.rrf_k, s.candidates, s.duplicate_threshold
        )

    def retriever(self, *, store: KnowledgeStore | None = None) -> HybridRetriever:
        """The hybrid retriever over the store (or over `store`, e.g. one just created)."""
        from knowledge.retrieval import HybridRetriever

        def build() -> HybridRetriever:
            return HybridRetriever(
                store or self.store(),
                self.embedder(),
                self.settings.index_dir,
                fusion=self.fusion,
                max_chars=self.settings.max_question_chars,
            )

        return build() if store is not None else self._once("retriever", build)

    # --- triage ---------------------------------------------------------------------------

    def evidence_checker(self) -> EvidenceChecker:
        """The sentence-level evidence check on the configured embedder, one per Services (its
        cache of sentence vectors makes a re-check after an edit cheap)."""
        from drafter.drafting.evidence import EvidenceChecker

        return self._once("evidence", lambda: EvidenceChecker(self.embedder()))

    def evidence_judge(self) -> EvidenceJudge | None:
        """The chat model as the evidence check's judge when DRAFTER_CHECK_JUDGE is on (one per
        Services: its answers are kept, so a re-check asks only about changed sentences)."""
        if not self.settings.check_judge:
            return None
        from drafter.drafting.judge import EvidenceJudge

        return self._once(
            "judge",
            lambda: EvidenceJudge(self.chat_backend(), timeout=self.settings.request_timeout),
        )

    def triager(self) -> Triager:
        """Triage with its lexicon and context, the semantic layer when it can run, and the
        chat model as the LLM layer when DRAFTER_TRIAGE_LLM is on."""
        from drafter.triage.stage import Triager

        return self._once(
            "triager", lambda: Triager.build(semantic=self._semantic_layer(), llm=self._llm_layer())
        )

    def _semantic_layer(self) -> Layer | None:
        """The semantic layer on the configured embedder, when its shipped classifier was
        trained on that embedder."""
        from drafter.triage.semantic import SemanticLayer, SemanticModel

        model = SemanticModel.load()
        if model is None:
            return None
        embedder = self.embedder()
        return SemanticLayer(model, embedder.embed) if embedder.name == model.embedder else None

    def _llm_layer(self) -> Layer | None:
        """The chat model as a triage layer, when DRAFTER_TRIAGE_LLM is on; a remote backend is
        sent the text with identifiers redacted, as drafting sends it."""
        if not self.settings.triage_llm:
            return None
        from drafter.drafting.untrusted import redact
        from drafter.triage.llm import LLMLayer

        backend = self.chat_backend()
        outgoing = (lambda text: redact(text)[0]) if backend.remote else None
        return LLMLayer(backend, timeout=self.settings.request_timeout, outgoing=outgoing)

    # --- the model --------------------------------------------------------------------------

    def chat_backend(self, backend: str | None = None) -> ChatBackend:
        """The configured chat model (the bundled GGUF through llama.cpp by default), or the
        one `backend` names (`local` or `openai`)."""
        from drafter.backends.factory import make_chat_backend

        choice = backend or self.settings.llm_backend
        return self._once(f"chat:{choice}", lambda: make_chat_backend(self.settings, choice))

    def close(self) -> None:
        """Release what was opened here: every store's Chroma client and the database's
        connections. The objects built here must not be used afterwards."""
        while self._stores:
            self._stores.pop().close()
        if (sessions := self._built.pop("sessions", None)) is not None:
            sessions.kw["bind"].dispose()
        self._built.clear()

    # --- the workflow database --------------------------------------------------------------

    def sessions(self) -> sessionmaker[Session]:
        """The workflow database, migrated to the newest schema on first use."""
        from drafter.workflow.database import open_database

        return self._once(
            "sessions",
            lambda: open_database(
                self.settings.db_url, connect_timeout=self.settings.request_timeout
            ),
        )

    def publisher(self) -> Publisher:
        """Approved replies into the knowledge base; the retriever is built on first use."""
        from drafter.workflow.publish import knowledge_base_publisher

        return knowledge_base_publisher(self.retriever)

    def explainer_publisher(self) -> ExplainerPublisher:
        from drafter.workflow.publish import knowledge_base_explainer_publisher

        return knowledge_base_explainer_publisher(self.retriever)

    def workflow(self) -> Workflow:
        """The doctors' workflow on the configured database; approvals publish."""
        from drafter.workflow.doctor import Workflow

        return self._once(
            "workflow",
            lambda: Workflow(
                self.sessions(),
                max_question_chars=self.settings.max_question_chars,
                publisher=self.publisher(),
                triage=lambda text: self.triager()(text),  # built on the first question
            ),
        )

    def sign_ins(self) -> SignIns:
        """The app's sign-in tokens on the same database, signed with the configured key or the
        data folder's own (made on first use)."""
        from drafter.workflow.sign_in import SignIns, key_file

        s = self.settings

        def build() -> SignIns:
            secret = s.session_secret
            key = secret.get_secret_value().encode() if secret else key_file(s.session_key_path)
            return SignIns(self.sessions(), key, lifetime=timedelta(hours=s.session_hours))

        return self._once("sign_ins", build)

    def explainer_queue(self) -> ExplainerQueue:
        """The editors' More Info queue on the same database; approvals publish."""
        from drafter.workflow.explainers import ExplainerQueue

        return self._once(
            "explainer_queue",
            lambda: ExplainerQueue(self.sessions(), publisher=self.explainer_publisher()),
        )
