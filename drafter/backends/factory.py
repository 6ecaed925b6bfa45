"""The chat backend the settings name: the bundled model through llama.cpp, or OpenAI / any
OpenAI-compatible server (vLLM, Ollama, llama.cpp server) through langchain-openai; the only
import of langchain_openai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drafter.core.errors import SettingsError

if TYPE_CHECKING:
    from drafter.core.settings import Settings


from drafter.backends.base import ChatBackend, LangChainBackend
from drafter.backends.llamacpp import LlamaCppChatModel


def make_chat_backend(settings: Settings, backend: str | None = None) -> ChatBackend:
    """The backend the settings (or an explicit override) name."""
    choice = backend or settings.llm_backend
    if choice == "local":
        from drafter.backends.local_model import resolve_local_model

        path = resolve_local_model(settings)
        model = LlamaCppChatModel(
            model_path=str(path), n_ctx=settings.local_n_ctx, n_threads=settings.local_threads
        )
        return LangChainBackend(model, f"local:{path.name}", remote=False, retries=0)
    if choice == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if not key and not settings.openai_base_url:
            raise SettingsError(
                "bad setting DRAFTER_OPENAI_API_KEY: required for the openai backend "
                "(or set DRAFTER_OPENAI_BASE_URL for a server that needs no key)"
            )
        remote_model = ChatOpenAI(
            model=settings.openai_model,
            api_key=key or "not-needed",  # type: ignore[arg-type]
            base_url=settings.openai_base_url,
            timeout=settings.request_timeout,  # per read; the deadline bounds the whole call
            max_retries=0,  # LangChainBackend retries, and only before the first token
            streaming=True,
        )
        return LangChainBackend(
            remote_model,
            f"openai:{settings.openai_model}",
            remote=True,
            deadline=settings.generation_timeout,
        )
    raise SettingsError(f"bad setting DRAFTER_LLM_BACKEND: {choice!r} is not local or openai")
