"""The one interface the pipeline needs from a model, and its implementation over any LangChain
chat model: `ChatBackend.stream(messages)` yields text as it is generated, with retries before
the first token, an optional deadline for the whole call and the partial text kept on failure."""

from __future__ import annotations

import contextvars
import queue
import threading
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
from drafter.core.secrets import scrub
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


def read_reply(
    backend: ChatBackend,
    messages: Sequence[Message],
    *,
    max_tokens: int,
    timeout: float,
    what: str,
    done: Callable[[str, str], bool] | None = None,
) -> str:
    """One short call's whole reply at temperature 0, read until `done(reply, last_piece)` says
    it is complete or the model stops; TimeoutError ("the model gave no `what` within ...")
    once it has taken longer than `timeout` seconds."""
    started, reply = time.monotonic(), ""
    for piece in backend.stream(messages, max_tokens=max_tokens, temperature=0.0):
        reply += piece
        if done is not None and done(reply, piece):
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the model gave no {what} within {timeout:g} s")
    return reply


def to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    kinds: dict[str, Callable[[str], BaseMessage]] = {
        "system": lambda text: SystemMessage(content=text),
        "user": lambda text: HumanMessage(content=text),
        "assistant": lambda text: AIMessage(content=text),
    }
    return [kinds[m.role](m.content) for m in messages]


class _DeadlinePassed(Exception):
    """The whole call took longer than the backend's deadline."""


class LangChainBackend:
    """Any LangChain chat model, with retries before the first token and partial text kept.

    With a `deadline` (seconds for the whole call, retries included) the model is read in a worker
    thread, so a server trickling one token every few seconds is cut off on time.
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        model_id: str,
        *,
        remote: bool,
        retries: int = 2,
        backoff: float = 1.0,
        transient: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError),
        deadline: float | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.model_id = model_id
        self.remote = remote
        self.retries = retries
        self.backoff = backoff
        self.transient = transient
        self.deadline = deadline

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        payload = to_langchain(messages)
        ends = None if self.deadline is None else time.monotonic() + self.deadline
        attempt = 0
        while True:
            received: list[str] = []
            try:
                for text in self._texts(payload, max_tokens, temperature, ends):
                    received.append(text)
                    yield text
                return
            except _DeadlinePassed:
                raise GenerationError(
                    f"the model backend ({self.model_id}) did not finish within "
                    f"{self.deadline:g} s (DRAFTER_GENERATION_TIMEOUT)",
                    "".join(received),
                ) from None
            except Exception as exc:  # noqa: BLE001 - any vendor error becomes one clear error
                partial = "".join(received)
                pause = self.backoff * 2**attempt
                in_time = ends is None or time.monotonic() + pause < ends
                if not partial and attempt < self.retries and in_time and self._is_transient(exc):
                    attempt += 1
                    time.sleep(pause)
                    continue
                raise GenerationError(
                    f"the model backend ({self.model_id}) failed: {_describe(exc)}", partial
                ) from exc

    def _texts(
        self, payload: list[BaseMessage], max_tokens: int, temperature: float, ends: float | None
    ) -> Iterator[str]:
        """The model's non-empty text pieces, read in a worker thread when there is a deadline."""
        chunks = self.chat_model.stream(payload, max_tokens=max_tokens, temperature=temperature)
        texts = (c.content for c in chunks if isinstance(c.content, str) and c.content)
        if ends is None:
            yield from texts
        else:
            yield from _until(texts, ends)

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


def _until(texts: Iterator[str], ends: float) -> Iterator[str]:
    """`texts`, read by a daemon thread; _DeadlinePassed once the clock passes `ends`. Closing
    this generator (or the deadline) stops the reader at its next piece, which closes the stream."""
    pieces: queue.Queue[tuple[str | None, BaseException | None]] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            for text in texts:
                if stop.is_set():
                    break
                pieces.put((text, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            pieces.put((None, exc))
        else:
            pieces.put((None, None))
        finally:
            close = getattr(texts, "close", None)
            if close is not None:
                close()

    context = contextvars.copy_context()
    threading.Thread(target=lambda: context.run(read), name="drafter-stream", daemon=True).start()
    try:
        while True:
            left = ends - time.monotonic()
            if left <= 0:
                raise _DeadlinePassed
            try:
                text, error = pieces.get(timeout=left)
            except queue.Empty:
                raise _DeadlinePassed from None
            if error is not None:
                raise error
            if text is None:
                return
            yield text
    finally:
        stop.set()


def _describe(exc: BaseException) -> str:
    """The error in one line (at most 300 characters), scrubbed of keys and URL passwords."""
    text = scrub(str(exc)).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


# --- local: llama.cpp ------------------------------------------------------------------------
