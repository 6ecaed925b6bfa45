"""The shipped sample knowledge base: valid, varied, and holding near-duplicates on purpose."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from drafter.core.records import FaqArticle, QAPair, Record
from knowledge.documents import qa_rows, split_sections
from knowledge.embeddings import Embedder
from knowledge.importers import ImportIssue, parse_file
from tests.conftest import SAMPLE_FILES, SampleKb

# Twins named in knowledge/SCHEMA.md and a few more written the same way.
TWINS = [
    ("qa-ortho-001", "qa-ortho-002"),
    ("qa-cardio-003", "qa-cardio-004"),
    ("qa-gastro-001", "qa-gastro-002"),
    ("qa-neuro-005", "qa-neuro-006"),
    ("qa-psych-001", "qa-psych-002"),
]
RED_FLAGS = ["qa-ortho-006", "qa-neuro-007", "qa-cardio-008", "qa-psych-008", "qa-obgyn-004",
             "qa-peds-003", "qa-gastro-008"]  # fmt: skip


@pytest.fixture(scope="module")
def records() -> list[Record]:
    parsed = [item for path in SAMPLE_FILES for _, item in parse_file(path)]
    issues = [str(item) for item in parsed if isinstance(item, ImportIssue)]
    assert issues == []
    return [item for item in parsed if not isinstance(item, ImportIssue)]


@pytest.fixture(scope="module")
def qas(records: list[Record]) -> list[QAPair]:
    return [r for r in records if isinstance(r, QAPair)]


def cosine_matrix(embedder: Embedder, texts: list[str]) -> np.ndarray:
    vectors = embedder.embed(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    return sims


def test_sample_files_are_the_documented_ones() -> None:
    assert [p.name for p in SAMPLE_FILES] == ["faq.jsonl", "qa_a.jsonl", "qa_b.jsonl"]


def test_sample_is_valid_and_varied(records: list[Record], qas: list[QAPair]) -> None:
    faqs = [r for r in records if isinstance(r, FaqArticle)]
    assert len(qas) >= 60
    assert len(faqs) >= 20
    specialties = Counter(q.specialty for q in qas)
    assert None not in specialties
    assert len(specialties) >= 8
    assert min(specialties.values()) >= 4
    assert {f.specialty for f in faqs} == set(specialties)
    assert all(q.age_group and q.sex and q.doctor and q.asked_date for q in qas)
    assert all(len(split_sections(f.body)) >= 3 for f in faqs)


def test_ids_are_unique_and_well_formed(records: list[Record]) -> None:
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("qa-") for i in ids if not i.startswith("faq-"))
    assert {i for i in ids if i.startswith("qa-")} >= set(RED_FLAGS)


def test_sample_kb_ingests_without_issues(sample_kb: SampleKb) -> None:
    assert [(r.path.name, r.qa, r.faq, r.issues) for r in sample_kb.reports] == [
        ("faq.jsonl", 0, 33, []),
        ("qa_a.jsonl", 43, 0, []),
        ("qa_b.jsonl", 41, 0, []),
    ]
    assert sample_kb.retriever.store.count("qa") == 84


def test_at_least_three_near_duplicate_pairs(qas: list[QAPair], embedder: Embedder) -> None:
    """Whole records (title, question and answer) of >= 3 pairs have cosine >= 0.8."""
    sims = cosine_matrix(embedder, [f"{q.title}\n{q.question}\n{q.answer}" for q in qas])
    ids = [q.id for q in qas]
    pairs = {(ids[i], ids[j]) for i, j in np.argwhere(np.triu(sims, 1) >= 0.8)}
    assert len(pairs) >= 3, pairs
    assert {("qa-ortho-001", "qa-ortho-002"), ("qa-cardio-003", "qa-cardio-004")} <= pairs
    assert all(a.split("-")[1] == b.split("-")[1] for a, b in pairs)  # same specialty prefix


def test_twins_are_each_others_nearest_question(qas: list[QAPair], embedder: Embedder) -> None:
    """On the indexed text (title + question) each documented twin is the other's neighbour."""
    sims = cosine_matrix(embedder, [qa_rows(q)[0].text for q in qas])
    ids = [q.id for q in qas]
    for a, b in TWINS:
        i, j = ids.index(a), ids.index(b)
        assert ids[int(np.argmax(sims[i]))] == b
        assert ids[int(np.argmax(sims[j]))] == a
        assert sims[i, j] >= 0.6
    peds = ids.index("qa-peds-001")
    assert "qa-peds-002" in [ids[k] for k in np.argsort(-sims[peds])[:2]]
