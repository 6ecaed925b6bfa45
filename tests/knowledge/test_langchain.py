"""The knowledge base as a LangChain retriever."""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.documents import Document

from drafter.core.records import Filters
from knowledge.langchain_retriever import KnowledgeRetriever
from tests.conftest import SampleKb

QUESTION = "My statin is giving me sore muscles, should I stop taking it?"


def test_invoke_returns_qas_then_faq(sample_kb: SampleKb) -> None:
    docs = KnowledgeRetriever(retriever=sample_kb.retriever, k=3, m=2).invoke(QUESTION)
    assert all(isinstance(d, Document) for d in docs)
    assert [d.metadata["kind"] for d in docs] == ["qa", "qa", "qa", "faq", "faq"]
    for doc in docs:
        assert {"id", "kind", "score", "title", "ranks", "why"} <= set(doc.metadata)
        assert doc.id == doc.metadata["id"]
        assert isinstance(doc.metadata["score"], float)
        assert doc.page_content
    assert docs[0].metadata["id"] in {"qa-cardio-003", "qa-cardio-004"}
    assert docs[3].metadata["id"] == "faq-statins"
    assert "statin" in docs[0].page_content.lower()  # a Q&A's content is its question
    expected = sample_kb.retriever.page(QUESTION, k=3, m=2)
    assert [d.metadata["id"] for d in docs] == [
        h.id for h in expected.similar_qa + expected.related_faq
    ]


@pytest.mark.parametrize(("kind", "size"), [("faq", 4), ("qa", 2)])
def test_single_kind(kind: Literal["qa", "faq"], size: int, sample_kb: SampleKb) -> None:
    retriever = KnowledgeRetriever(retriever=sample_kb.retriever, kind=kind, k=2, m=4)
    docs = retriever.invoke(QUESTION)
    assert len(docs) == size
    assert {d.metadata["kind"] for d in docs} == {kind}
    assert all("#" not in d.metadata["id"] for d in docs)


def test_filters_are_passed_through(sample_kb: SampleKb) -> None:
    retriever = KnowledgeRetriever(
        retriever=sample_kb.retriever, filters=Filters(specialty="pediatrics"), k=3, m=3
    )
    docs = retriever.invoke(QUESTION)
    assert len(docs) == 6
    assert {d.metadata["specialty"] for d in docs} == {"Pediatrics"}
