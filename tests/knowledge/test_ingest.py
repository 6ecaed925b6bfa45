"""Ingestion details: each distinct text is embedded once; vectors land on the right rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from drafter.core.records import QAPair
from drafter.services import Services
from knowledge.embeddings import Embedder
from knowledge.ingest import embed_once, write_records
from tests.conftest import MakeSettings


class CountingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        return self.inner.embed(texts)


def test_repeated_texts_are_embedded_once(embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    texts = ["knee pain on stairs", "statin muscle pain", "knee pain on stairs"]
    vectors = embed_once(counting, texts)
    assert counting.seen == ["knee pain on stairs", "statin muscle pain"]
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(vectors[0], vectors[2])
    assert float(vectors[0] @ vectors[1]) < 0.9


def test_the_same_question_answered_twice_keeps_both_answers(
    embedder: Embedder, make_settings: MakeSettings, tmp_path: Path
) -> None:
    settings = make_settings()
    counting = CountingEmbedder(embedder)
    retriever = Services(settings).retriever(store=Services(settings).store(create=True))
    retriever.embedder = counting
    title, question = "Knee pain", "My knee hurts on stairs."
    write_records(
        retriever,
        [
            QAPair(id="a", title=title, question=question, answer="Rest it."),
            QAPair(id="b", title=title, question=question, answer="See a physio."),
        ],
    )
    assert len(counting.seen) == 1
    stored = {item.id: item for item in retriever.store.get("qa", ["a", "b"], embeddings=True)}
    assert {i.metadata["answer"] for i in stored.values()} == {"Rest it.", "See a physio."}
    a, b = stored["a"].embedding, stored["b"].embedding
    assert a is not None
    assert b is not None
    np.testing.assert_allclose(a, b, rtol=1e-5)
