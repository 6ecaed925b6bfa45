"""Hybrid retrieval over the shipped sample knowledge base (read-only) and small private stores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drafter.core.errors import InputError, SettingsError
from drafter.core.records import Filters, Kind
from drafter.services import Services
from knowledge.lexical import tokenize
from knowledge.retrieval import MODES, Mode, check_query
from tests.conftest import MakeKb, MakeSettings, SampleKb, WriteJsonl


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Some of the cement from my kyphoplasty leaked out beside the vertebra on the scan. "
         "Is that dangerous and does it need to be removed?", {"qa-ortho-001", "qa-ortho-002"}),
        ("Ever since my doctor put me on a cholesterol pill my legs have been sore. "
         "Could the statin be doing this? Should I stop it?", {"qa-cardio-003", "qa-cardio-004"}),
        ("My two year old has had a temperature of 39 since yesterday. When do I need to take "
         "him to the emergency room?", {"qa-peds-001", "qa-peds-002"}),
        ("After lifting heavy boxes my lower back hurts, I can't feel anything around my bottom "
         "and I'm struggling to pee. Is this urgent?", {"qa-ortho-006"}),
        ("Burning heartburn wakes me up in the middle of the night with a sour taste of acid "
         "in my throat.", {"qa-gastro-001", "qa-gastro-002"}),
        ("The whole room spins for a few seconds every time I turn over in bed.",
         {"qa-neuro-005", "qa-neuro-006"}),
    ],
)  # fmt: skip
def test_paraphrase_finds_the_original_first(
    question: str, expected: set[str], sample_kb: SampleKb
) -> None:
    page = sample_kb.retriever.page(question, k=4, m=3)
    assert page.similar_qa[0].id in expected
    assert expected <= {h.id for h in page.similar_qa}


@pytest.mark.parametrize(
    ("mode", "keys"),
    [("hybrid", {"dense", "bm25"}), ("dense", {"dense"}), ("bm25", {"bm25"})],
)
@pytest.mark.parametrize("kind", ["qa", "faq"])
def test_every_mode_returns_ranked_hits(
    mode: Mode, keys: set[str], kind: Kind, sample_kb: SampleKb
) -> None:
    hits = sample_kb.retriever.search("statin muscle pain in my legs", kind=kind, k=4, mode=mode)
    assert len(hits) == 4
    assert all(set(h.ranks) == keys for h in hits)
    assert all(any(h.ranks.values()) for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    assert all(h.kind == kind for h in hits)
    assert "statin" in hits[0].title.lower()


SPECIALTY_CASES = [
    ("Orthopedics", "my toddler has a high fever and a rash"),
    ("Pediatrics", "cement leaked after my kyphoplasty"),
    ("Dermatology", "chest pain spreading to my arm when walking uphill"),
    ("Obstetrics and Gynecology", "ringing in my ears that never stops"),
]


@pytest.mark.parametrize(("specialty", "question"), SPECIALTY_CASES)
def test_specialty_filter_applies_to_qa_and_faq(
    specialty: str, question: str, sample_kb: SampleKb
) -> None:
    unfiltered = sample_kb.retriever.page(question)
    assert {h.specialty for h in unfiltered.similar_qa + unfiltered.related_faq} - {specialty}
    page = sample_kb.retriever.page(question, filters=Filters(specialty.lower()), k=4, m=5)
    assert len(page.similar_qa) == 4
    assert page.related_faq
    assert {h.specialty for h in page.similar_qa + page.related_faq} == {specialty}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("filters", "field", "value"),
    [
        (Filters(age_group="0-9"), "age_group", "0-9"),
        (Filters(age_group="75"), "age_group", "70-79"),
        (Filters(sex="F"), "sex", "female"),
        (Filters(sex="male"), "sex", "male"),
    ],
)
def test_age_and_sex_filters(
    filters: Filters, field: str, value: str, mode: Mode, sample_kb: SampleKb
) -> None:
    hits = sample_kb.retriever.search("fever and pain at night", k=6, filters=filters, mode=mode)
    assert hits
    assert {h.metadata[field] for h in hits} == {value}


def test_combined_filters_return_exactly_the_matching_records(sample_kb: SampleKb) -> None:
    page = sample_kb.retriever.page(
        "my child is unwell", filters=Filters("pediatrics", "3", "m"), k=10, m=10
    )
    assert {h.id for h in page.similar_qa} == {
        "qa-peds-001",
        "qa-peds-004",
        "qa-peds-008",
        "qa-peds-010",
    }
    assert {h.specialty for h in page.related_faq} == {"Pediatrics"}
    assert {h.id for h in page.related_faq} <= {
        "faq-fever-in-children", "faq-infant-reflux", "faq-bedwetting", "faq-colds-in-children"
    }  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_faq_hits_are_folded_to_unique_articles(mode: Mode, sample_kb: SampleKb) -> None:
    hits = sample_kb.retriever.search(
        "leaking bone cement after vertebroplasty risks and symptoms", kind="faq", k=8, mode=mode
    )
    ids = [h.id for h in hits]
    assert ids
    assert ids[0] == "faq-bone-cement"
    assert all("#" not in i for i in ids)
    assert len(ids) == len(set(ids))
    assert hits[0].metadata["parent_id"] == "faq-bone-cement"
    assert "cement" in hits[0].text.lower()


def test_why_mentions_the_matched_words(sample_kb: SampleKb) -> None:
    query = "Is leaked cement after kyphoplasty dangerous?"
    [top] = sample_kb.retriever.search(query, k=1)
    assert top.id in {"qa-ortho-001", "qa-ortho-002"}
    match = re.search(r"words #(\d+) \(([^)]*)\)", top.why)
    assert match, top.why
    assert int(match.group(1)) == top.ranks["bm25"]
    shown = match.group(2).split(", ")
    assert {"cement", "leaked"} <= set(shown)  # the patient's words, not their stems
    document = set(tokenize(f"{top.title}\n{top.text}"))
    assert set(tokenize(" ".join(shown))) <= set(tokenize(query)) & document
    assert re.search(rf"meaning #{top.ranks['dense']} \(cosine 0\.\d\d\)", top.why)


def test_dense_only_hit_explains_meaning_only(sample_kb: SampleKb) -> None:
    hits = sample_kb.retriever.search("zzzqx kyphoplasty cement", k=4, mode="dense")
    assert all(h.why.startswith("meaning #") and "words" not in h.why for h in hits)


@pytest.mark.parametrize("question", ["", "   ", "\n\t  \n"])
def test_empty_query_is_input_error(question: str, sample_kb: SampleKb) -> None:
    with pytest.raises(InputError, match="empty"):
        sample_kb.retriever.page(question)
    for mode in MODES:
        with pytest.raises(InputError, match="empty"):
            sample_kb.retriever.search(question, mode=mode)


def test_over_long_query_is_input_error(sample_kb: SampleKb) -> None:
    limit = sample_kb.settings.max_question_chars
    with pytest.raises(InputError, match="DRAFTER_MAX_QUESTION_CHARS"):
        sample_kb.retriever.page("knee " * (limit // 5 + 1))
    with pytest.raises(InputError, match=f"{limit + 1:,} characters"):
        sample_kb.retriever.search("x" * (limit + 1), mode="bm25")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("  knee pain \n", 100, "knee pain"),
        ("x" * 100, 100, "x" * 100),
        (" " + "y" * 100, 100, "y" * 100),
    ],
)
def test_check_query_limits_apply_to_the_stripped_text(
    text: str, limit: int, expected: str
) -> None:
    assert check_query(text, limit) == expected


def test_near_duplicates_collapse(tmp_path: Path, write_jsonl: WriteJsonl, make_kb: MakeKb) -> None:
    same = {
        "title": "Acid reflux at night",
        "specialty": "Gastroenterology",
        "question": "I wake up at night with burning acid in my throat. What helps?",
    }
    rows = [{**same, "id": "qa-a", "answer": "Raise the head of your bed."},
            {**same, "id": "qa-b", "answer": "Avoid eating late and try a PPI."},
            {"id": "qa-c", "title": "Knee pain", "question": "My knee hurts on stairs.",
             "answer": "See a physiotherapist."}]  # fmt: skip
    retriever = make_kb([write_jsonl(tmp_path / "dups.jsonl", rows)])
    hits = retriever.search("heartburn waking me at night", k=3)
    top = hits[0]
    assert top.id in {"qa-a", "qa-b"}
    assert top.duplicates == (({"qa-a", "qa-b"} - {top.id}).pop(),)
    assert [h.id for h in hits[1:]] == ["qa-c"]
    assert not hits[1].duplicates
    both = retriever.search("heartburn waking me at night", k=3, collapse=False)
    assert {h.id for h in both} == {"qa-a", "qa-b", "qa-c"}


def test_store_built_with_another_embedder_is_refused(
    make_settings: MakeSettings, sample_kb: SampleKb
) -> None:
    settings = make_settings()
    store = Services(settings).store(create=True)
    store.collection("qa", embedder_name="local:other")
    vector = sample_kb.retriever.embedder.embed(["Knee pain"])
    store.upsert("qa", ["qa-1"], vector, ["Knee pain"], [{"kind": "qa", "title": "Knee pain"}])
    retriever = Services(settings).retriever()
    modes: tuple[Mode, ...] = ("hybrid", "dense")
    for mode in modes:
        with pytest.raises(SettingsError, match="DRAFTER_EMBEDDING_BACKEND") as info:
            retriever.search("knee pain", mode=mode)
        assert "local:other" in str(info.value)
        assert retriever.embedder.name in str(info.value)
    assert [h.id for h in retriever.search("knee pain", mode="bm25")] == ["qa-1"]


def test_page_on_a_store_with_only_qas(
    tmp_path: Path, write_jsonl: WriteJsonl, make_kb: MakeKb
) -> None:
    rows = [{"id": "qa-knee", "title": "Knee pain", "question": "My knee hurts on stairs.",
             "answer": "Rest."}]  # fmt: skip
    retriever = make_kb([write_jsonl(tmp_path / "qa.jsonl", rows)])
    page = retriever.page("my knee hurts")
    assert [h.id for h in page.similar_qa] == ["qa-knee"]
    assert page.related_faq == []
