"""The bundled model's runtime: a GGUF file run in-process by llama.cpp as a LangChain chat
model; the only import of llama_cpp."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

if TYPE_CHECKING:
    pass


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
