"""The chat backend the settings name: the bundled model through llama.cpp, or OpenAI / any
OpenAI-compatible server (vLLM, Ollama, llama.cpp server) through langchain-openai; the only
import of langchain_openai."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from drafter.core.errors import SettingsError

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

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
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if not key and not settings.openai_base_url:
            raise SettingsError(
                "bad setting DRAFTER_OPENAI_API_KEY: required for the openai backend "
                "(or set DRAFTER_OPENAI_BASE_URL for a server that needs no key)"
            )
        chat_openai = _server_chat_openai() if settings.openai_base_url else _chat_openai()
        remote_model = chat_openai(
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


@cache
def _chat_openai() -> type[ChatOpenAI]:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI


@cache
def _server_chat_openai() -> type[ChatOpenAI]:
    """ChatOpenAI for an OpenAI-compatible server: the length cap goes as `max_tokens`, which
    they all read. ChatOpenAI sends `max_completion_tokens` (OpenAI's name since 2024), which
    llama.cpp's server ignores: the reply then ran on to the context's end. OpenAI itself keeps
    `max_completion_tokens` (its reasoning models refuse `max_tokens`)."""

    class ServerChatOpenAI(_chat_openai()):  # type: ignore[misc,valid-type]
        def _get_request_payload(
            self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

    return ServerChatOpenAI
