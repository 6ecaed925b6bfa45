"""The bundled MiniLM on ONNX Runtime gives PyTorch's vectors, in the caller's order, and its
exported graph is cached, or used from memory where the cache cannot be written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import onnx_encoder
from knowledge.embeddings import LocalEmbedder, bundled_minilm_path

TEXTS = [
    "My chest feels tight and I'm sweating.",
    "ok",
    "I can't feel my bottom on the toilet " * 60,  # over the 256-token limit: truncated alike
    "mi bebé no moja el pañal desde ayer",
    "",
    "Three days of a sore throat, no fever.",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return LocalEmbedder(bundled_minilm_path(), runtime="torch").embed(TEXTS * 15)


def test_onnx_gives_pytorchs_vectors_in_order(
    torch_vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = LocalEmbedder(bundled_minilm_path())
    vectors = onnx.embed(TEXTS * 15)  # 90 texts: two batches of 64, sorted by length inside
    assert onnx.running_on == "onnx"
    assert vectors.shape == torch_vectors.shape == (90, 384)
    assert (vectors * torch_vectors).sum(axis=1).min() > 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx.embed([]).shape == (0,)
    assert len(list((tmp_path / "drafter" / "onnx").glob("*.onnx"))) == 1


def test_a_cached_graph_is_read_not_exported_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    LocalEmbedder(bundled_minilm_path()).embed(["warm"])

    def refuse(model: object) -> bytes:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_encoder, "export", refuse)
    again = LocalEmbedder(bundled_minilm_path())
    assert again.running_on == "onnx"


def test_an_unwritable_cache_still_runs_from_memory(
    torch_vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    onnx = LocalEmbedder(bundled_minilm_path())
    assert onnx.running_on == "onnx"
    assert (onnx.embed(TEXTS) * torch_vectors[: len(TEXTS)]).sum(axis=1).min() > 0.9999


def test_a_failing_runtime_falls_back_to_pytorch(
    torch_vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model: object, model_dir: Path) -> bytes:
        raise RuntimeError("no ONNX here")

    monkeypatch.setattr(onnx_encoder, "graph", broken)
    embedder = LocalEmbedder(bundled_minilm_path())
    assert embedder.running_on == "torch"
    assert np.allclose(embedder.embed(TEXTS), torch_vectors[: len(TEXTS)], atol=1e-6)


def test_threads_embedding_at_once_get_the_same_vectors(
    torch_vectors: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app embeds from several threads: the fast tokenizer's shared state must not break
    ("Already borrowed") or mix up their texts."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = LocalEmbedder(bundled_minilm_path())
    onnx.embed(["warm"])
    batches = [TEXTS[i:] + TEXTS[:i] for i in range(len(TEXTS))] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(onnx.embed, batches))
    for batch, vectors in zip(batches, results, strict=True):
        expected = torch_vectors[[TEXTS.index(t) for t in batch]]
        assert (vectors * expected).sum(axis=1).min() > 0.9999
