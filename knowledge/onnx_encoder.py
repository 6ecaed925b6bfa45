"""A sentence-transformers model run by ONNX Runtime: the same vectors as PyTorch (cosine above
0.9999) in about half the time on a CPU, which is what keeps triage's semantic layer, embedding
each sentence of a question, under its 50 ms budget.

The graph is exported from the model folder on disk by `torch.onnx` (no network, about a second)
and kept in a cache folder keyed by the model's files and the torch version, so later processes
load it directly. Only models that mean-pool a plain transformer (as all-MiniLM-L6-v2 does) are
run here; anything else stays on PyTorch (`supported`)."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir() -> Path:
    """Where exported graphs are kept: $XDG_CACHE_HOME (or ~/.cache) /drafter/onnx."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "drafter" / "onnx"


def supported(model: Any) -> bool:
    """A transformer, mean pooling and at most a normalisation: what `OnnxEncoder` reproduces."""
    kinds = [type(m).__name__ for m in model]
    return (
        kinds[:2] == ["Transformer", "Pooling"]
        and kinds[2:] in ([], ["Normalize"])
        and getattr(model[1], "pooling_mode", None) == "mean"
        and hasattr(model[0], "auto_model")
    )


def _key(model_dir: Path) -> str:
    import torch

    digest = hashlib.sha256(torch.__version__.encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(model_dir)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            )
    return digest.hexdigest()[:16]


def export(model: Any) -> bytes:
    """The model's transformer as an ONNX graph (inputs `INPUTS`, output the token states)."""
    import warnings

    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    sample = model.tokenizer(["a sample sentence", "two"], padding=True, return_tensors="pt")
    if any(name not in sample for name in INPUTS):
        raise ValueError(f"the tokenizer gives {sorted(sample)}, not {list(INPUTS)}")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")  # the tracer's notes on control flow it has frozen
        torch.onnx.export(
            Hidden(model[0].auto_model).eval(),
            tuple(sample[name] for name in INPUTS),
            Path(folder) / "model.onnx",
            input_names=list(INPUTS),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        return (Path(folder) / "model.onnx").read_bytes()


def graph(model: Any, model_dir: Path) -> bytes:
    """The exported graph, from the cache when it holds this model's; exported and cached (when
    the cache folder is writable) otherwise."""
    path = cache_dir() / f"{model_dir.name}-{_key(model_dir)}.onnx"
    if path.is_file():
        return path.read_bytes()
    data = export(model)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as part:
            part.write(data)
        os.replace(part.name, path)  # atomic: a concurrent process reads a whole file or none
    except OSError as exc:  # a read-only home: the graph is used from memory this time
        log.info("could not cache the ONNX graph in %s: %s", path.parent, exc)
    return data


class OnnxEncoder:
    """Mean-pooled, unit-length sentence vectors from an ONNX Runtime session."""

    def __init__(self, model: Any, model_dir: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self.session = ort.InferenceSession(
            graph(model, model_dir), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = model.tokenizer
        self._tokenizing = threading.Lock()
        self.max_tokens = int(model.max_seq_length)
        self.normalize = len(list(model)) == 3

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        # Sorted by length so each batch pads to its own longest sentence, then put back.
        if not texts:
            return np.zeros((0,), dtype=np.float32)  # what sentence-transformers gives
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            vectors = self._batch([texts[i] for i in chosen])
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chosen] = vectors
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        # One call at a time: a fast tokenizer's shared state ("Already borrowed" in some versions).
        with self._tokenizing:
            tokens = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_tokens,
                return_tensors="np",
            )
        feed = {name: tokens[name].astype(np.int64) for name in INPUTS}
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        vectors = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.normalize:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32)
