"""The one interface the pipeline needs from a model, and its implementation over any LangChain
chat model: `ChatBackend.stream(messages)` yields text as it is generated, with retries before
the first token and the partial text kept on failure."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)

from drafter.core.errors import BackendUnavailableError
from prompts import Message

if TYPE_CHECKING:
    pass


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
        # Vendors' errors by name, subclasses included: langchain-openai raises its own
        # subclasses of openai's APIConnectionError, and this layer imports no vendor SDK.
        return any(kind.__name__ in _TRANSIENT_NAMES for kind in type(exc).__mro__)


_TRANSIENT_NAMES = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "RateLimitError",
        "InternalServerError",
        "ConnectError",
        "ReadTimeout",
    }
)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


# --- local: llama.cpp ------------------------------------------------------------------------
