"""Sentence-level evidence with the real bundled MiniLM: each sentence of a draft gets the verdict
a doctor needs to see, with the source sentence that backs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafter.drafting.evidence import (
    EvidenceChecker,
    SourceText,
    with_citations,
)
from drafter.drafting.sentences import split
from drafter.evaluation.planted import EXPECTED, PlantedCase
from knowledge.embeddings import Embedder
from tests.conftest import SampleKb

KNEE = (
    "I'm 58. When I climb stairs my knee hurts on the inside and it swells by evening. I had a "
    "meniscus tear 10 years ago. Should I get an MRI or try physiotherapy first? 50-59 male"
)
SOURCES = [
    SourceText(
        1,
        "Knee osteoarthritis often causes pain on the inner side of the knee when climbing "
        "stairs, with swelling later in the day. An old meniscus tear raises the risk of it.",
    ),
    SourceText(
        2,
        "Physiotherapy that strengthens the thigh muscles is the first treatment for knee "
        "osteoarthritis and helps most people within eight to twelve weeks.",
    ),
    SourceText(
        3,
        "Numbness between the legs with trouble passing urine after back pain is cauda equina "
        "syndrome and needs an emergency MRI.",
    ),
]


@pytest.fixture(scope="module")
def checker(embedder: Embedder) -> EvidenceChecker:
    return EvidenceChecker(embedder)


def _verdicts(checker: EvidenceChecker, reply: str, *, flagged: bool = False) -> list[str]:
    checks = checker.check({"reply": reply}, asked=KNEE, sources=SOURCES, flagged=flagged)
    return [c.verdict for c in checks]


def test_the_knee_drafts_dangerous_sentences_are_each_marked(checker: EvidenceChecker) -> None:
    reply = (
        "Hello, I'm 58 years old and have a meniscus tear. "
        "Pain on the inner side of the knee on stairs is often from osteoarthritis [1]. "
        "We recommend going to the emergency department now. "
        "You have a disc bulge at L4-L5 and the area between your legs feels numb. "
        "See your doctor if it gets worse."
    )
    assert _verdicts(checker, reply) == [
        "wrong_voice",
        "supported",
        "urgency_mismatch",
        "about_the_patient",
        "general",
    ]


def test_a_supported_sentence_names_its_source_sentence(checker: EvidenceChecker) -> None:
    [check] = checker.check(
        {"reply": "Strengthening the thigh muscles with physiotherapy helps most people."},
        asked=KNEE,
        sources=SOURCES,
        flagged=False,
    )
    assert check.verdict == "supported"
    assert check.evidence[0].source == 2
    assert check.evidence[0].score >= checker.threshold
    assert check.suggested == 2  # it cites nothing: the citation to add


def test_a_citation_to_the_wrong_source_is_marked_with_the_right_one(
    checker: EvidenceChecker,
) -> None:
    text = "Physiotherapy that strengthens the thigh muscles helps most people [3]."
    [check] = checker.check({"reply": text}, asked=KNEE, sources=SOURCES, flagged=False)
    assert check.verdict == "wrong_citation"
    assert check.suggested == 2
    assert with_citations(text, [check]) == text  # marked and suggested; the doctor decides


def test_citations_are_added_where_a_supported_sentence_has_none(
    checker: EvidenceChecker,
) -> None:
    text = (
        "Physiotherapy that strengthens the thigh muscles helps most people. "
        "Ginger tea cures meniscus tears overnight."
    )
    checks = checker.check({"reply": text}, asked=KNEE, sources=SOURCES, flagged=False)
    assert [c.verdict for c in checks] == ["supported", "unsupported"]
    assert with_citations(text, checks) == (
        "Physiotherapy that strengthens the thigh muscles helps most people [2]. "
        "Ginger tea cures meniscus tears overnight."
    )


def test_restating_the_patients_own_words_is_not_a_detail_about_them(
    checker: EvidenceChecker,
) -> None:
    reply = "You had a meniscus tear 10 years ago, and your knee now swells by the evening."
    assert "about_the_patient" not in _verdicts(checker, reply)


def test_emergency_advice_on_a_flagged_question_or_as_a_safety_net_is_no_mismatch(
    checker: EvidenceChecker,
) -> None:
    now = "Please go to the emergency department now."
    assert _verdicts(checker, now, flagged=True) != ["urgency_mismatch"]
    net = "Go to the emergency department at once if you develop numbness between your legs."
    assert _verdicts(checker, net) != ["urgency_mismatch"]


def test_the_doctors_own_first_person_is_the_right_voice(checker: EvidenceChecker) -> None:
    reply = "I understand this is worrying. I would recommend physiotherapy first, as I explained."
    assert "wrong_voice" not in _verdicts(checker, reply)
    assert _verdicts(checker, "The patient should rest the knee for two weeks.") == ["wrong_voice"]


@pytest.mark.parametrize(
    ("texts", "sources"),
    [({"reply": ""}, SOURCES), ({"reply": "Rest the knee for two weeks."}, []), ({}, SOURCES)],
)
def test_empty_drafts_and_missing_sources_get_clear_verdicts(
    checker: EvidenceChecker, texts: dict[str, str], sources: list[SourceText]
) -> None:
    checks = checker.check(texts, asked=KNEE, sources=sources, flagged=False)
    if not "".join(texts.values()):
        assert checks == []
    else:
        assert [c.verdict for c in checks] == ["unsupported"]
        assert "no sources" in checks[0].note
    blank = checker.check(
        {"reply": "Rest the knee for two weeks."},
        asked=KNEE,
        sources=[SourceText(1, "")],
        flagged=False,
    )
    assert [c.verdict for c in blank] == ["unsupported"]


def test_a_recheck_embeds_only_the_changed_sentence(checker: EvidenceChecker) -> None:
    reply = "Physiotherapy helps most people with knee pain. Ice eases the swelling in the evening."
    checker.check({"reply": reply}, asked=KNEE, sources=SOURCES, flagged=False)
    seen: list[str] = []
    embed = checker.embedder.embed

    class Counting:
        name = checker.embedder.name

        def embed(self, texts: list[str]) -> object:
            seen.extend(texts)
            return embed(texts)

    again = EvidenceChecker(Counting(), _cache=checker._cache)  # type: ignore[arg-type]
    edited = reply.replace("Ice eases", "A cold pack eases")
    again.check({"reply": edited}, asked=KNEE, sources=SOURCES, flagged=False)
    assert seen == ["A cold pack eases the swelling in the evening."]


def test_sentences_keep_their_place_and_heading() -> None:
    text = (
        "Hello, aches are common [1]. Dr. Lin agrees.\n## What helps\n- Rest, e.g. two days [2].\n"
    )
    found = split(text, "explainer")
    assert [s.text for s in found] == [
        "Hello, aches are common [1].",
        "Dr. Lin agrees.",
        "Rest, e.g. two days [2].",
    ]
    assert all(text[s.start : s.end] == s.text for s in found)
    assert [s.heading for s in found] == ["", "", "What helps"]
    assert found[0].plain == "Hello, aches are common."


PLANTED = Path(__file__).parents[2] / "knowledge" / "eval" / "planted.jsonl"


def test_planted_errors_in_the_test_split_are_marked(checker: EvidenceChecker) -> None:
    """The repo's planted set, test split (never tuned on): the kinds the check promises to catch
    are marked, and few untouched sentences are (figures in docs/benchmarks.md)."""
    cases = [PlantedCase(**json.loads(line)) for line in PLANTED.read_text().splitlines()]
    cases = [c for c in cases if c.split == "test" and c.kind in EXPECTED]
    assert len(cases) >= 30
    marked = untouched = untouched_marked = 0
    for case in cases:
        sources = [SourceText(int(s["n"]), str(s["text"])) for s in case.sources]
        checks = checker.check(
            {"reply": case.reply}, asked=case.asked, sources=sources, flagged=case.flagged
        )
        planted = [c for c in checks if c.text.startswith(case.planted[:40])]
        marked += any(c.to_check for c in planted)
        rest = [c for c in checks if c not in planted]
        untouched += len(rest)
        untouched_marked += sum(c.to_check for c in rest)
    assert marked / len(cases) >= 0.85
    assert untouched_marked / untouched <= 0.10


def test_a_drafted_page_carries_its_verdicts_and_marks_the_red_ones(sample_kb: SampleKb) -> None:
    from drafter.core.question import PatientQuestion
    from drafter.drafting.pipeline import draft_page
    from tests.support.fakes import scripted_backend

    reply = (
        "Hello, muscle aches are a known side effect of statins. "
        "You had a kidney transplant in 2015. "
        "Please book a visit so we can check your CK level."
    )
    backend, _ = scripted_backend("Statin Muscle Aches", reply)
    draft = draft_page(
        PatientQuestion("Since starting atorvastatin my thighs ache. Should I stop it?"),
        retriever=sample_kb.retriever,
        llm=backend,
        settings=sample_kb.settings,
        parts=("title", "reply"),
    )
    sentences = [c.to_json() for c in draft.sentences]
    assert draft.to_json()["sentences"] == sentences
    assert [s["verdict"] for s in sentences][1] == "about_the_patient"
    assert all(draft.reply[c.start : c.end] == c.text for c in draft.sentences)
    assert draft.status == "incomplete"
    assert any("about the patient" in p for p in draft.problems)
