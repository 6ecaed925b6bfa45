"""Chat backends behind one narrow interface, built on LangChain chat models.

`ChatBackend.stream(messages)` yields text as it is generated. The local backend runs a GGUF file
in-process with llama.cpp; the `openai` backend speaks to OpenAI or any OpenAI-compatible server.
Only this module imports llama_cpp and langchain_openai.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from drafter.errors import BackendUnavailableError, SettingsError
from prompts import Message

if TYPE_CHECKING:
    from drafter.settings import Settings


class GenerationError(BackendUnavailableError):
    """The backend failed; `partial` holds whatever text had already streamed."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class ChatBackend(Protocol):
    """What the pipeline needs from a model: stream text for a list of messages."""

    @property
    def model_id(self) -> str: ...

    @property
    def remote(self) -> bool:
        """True when prompts leave this machine (identifiers are redacted first)."""
        ...

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]: ...


def to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    kinds: dict[str, Callable[[str], BaseMessage]] = {
        "system": lambda text: SystemMessage(content=text),
        "user": lambda text: HumanMessage(content=text),
        "assistant": lambda text: AIMessage(content=text),
    }
    return [kinds[m.role](m.content) for m in messages]


class LangChainBackend:
    """Any LangChain chat model, with retries before the first token and partial text kept."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        model_id: str,
        *,
        remote: bool,
        retries: int = 2,
        backoff: float = 1.0,
        transient: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError),
    ) -> None:
        self.chat_model = chat_model
        self.model_id = model_id
        self.remote = remote
        self.retries = retries
        self.backoff = backoff
        self.transient = transient

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        payload = to_langchain(messages)
        attempt = 0
        while True:
            received: list[str] = []
            try:
                for chunk in self.chat_model.stream(
                    payload, max_tokens=max_tokens, temperature=temperature
                ):
                    text = chunk.content if isinstance(chunk.content, str) else ""
                    if text:
                        received.append(text)
                        yield text
                return
            except Exception as exc:  # noqa: BLE001 - any vendor error becomes one clear error
                partial = "".join(received)
                if not partial and attempt < self.retries and self._is_transient(exc):
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise GenerationError(
                    f"the model backend ({self.model_id}) failed: {_describe(exc)}", partial
                ) from exc

    def _is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, self.transient):
            return True
        name = type(exc).__name__
        return name in {
            "APIConnectionError",
            "APITimeoutError",
            "RateLimitError",
            "InternalServerError",
            "ConnectError",
            "ReadTimeout",
        }


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


# --- local: llama.cpp ------------------------------------------------------------------------

_LLAMA_CACHE: dict[tuple[str, int, int], Any] = {}
_LLAMA_LOCK = threading.Lock()


def load_llama(path: Path, n_ctx: int, n_threads: int) -> Any:
    """One llama.cpp model per file and settings per process (loading takes seconds)."""
    key = (str(path), n_ctx, n_threads)
    with _LLAMA_LOCK:
        if key not in _LLAMA_CACHE:
            from llama_cpp import Llama

            _LLAMA_CACHE[key] = Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False
            )
        return _LLAMA_CACHE[key]


class StreamingChatModel(BaseChatModel):
    """A chat model that implements `_stream`; a whole answer is the joined stream."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = self._stream(messages, stop, run_manager, **kwargs)
        text = "".join(str(chunk.message.content) for chunk in chunks)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


class LlamaCppChatModel(StreamingChatModel):
    """A GGUF chat model run in-process by llama.cpp; the chat template comes from the file."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    repeat_penalty: float = 1.1
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = load_llama(Path(self.model_path), self.n_ctx, self.n_threads)
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles[m.type], "content": str(m.content)} for m in messages]
        with self._lock:  # one generation at a time per model
            for part in llama.create_chat_completion(
                messages=chat,
                stream=True,
                stop=stop,
                max_tokens=kwargs.get("max_tokens", 512),
                temperature=kwargs.get("temperature", 0.2),
                repeat_penalty=self.repeat_penalty,
            ):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk


def make_chat_backend(settings: Settings, backend: str | None = None) -> ChatBackend:
    """The backend the settings (or an explicit override) name."""
    choice = backend or settings.llm_backend
    if choice == "local":
        from drafter.local_model import resolve_local_model

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
            timeout=settings.request_timeout,
            max_retries=0,  # LangChainBackend retries, and only before the first token
            streaming=True,
        )
        return LangChainBackend(remote_model, f"openai:{settings.openai_model}", remote=True)
    raise SettingsError(f"bad setting DRAFTER_LLM_BACKEND: {choice!r} is not local or openai")
