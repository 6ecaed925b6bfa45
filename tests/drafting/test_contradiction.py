"""Contradictions an embedding cannot see: another amount than the source's, or its opposite."""

from __future__ import annotations

import pytest

from drafter.drafting.contradiction import amounts, contradiction
from drafter.drafting.evidence import EvidenceChecker, SourceText
from tests.conftest import SampleKb

SOURCE = "Take 20 mg once a day for 5 days, and do not drink alcohol while taking it."


def test_amounts_are_read_by_unit_ranges_included() -> None:
    assert amounts("20-40 mg twice a day for 5 days, then 2 weeks off") == {
        "mg": {20.0, 40.0},
        "day": {5.0},
        "week": {2.0},
    }
    assert amounts("up to 1.5 milligrams") == {"mg": {1.5}}


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("Take 200 mg once a day for 5 days.", "says 200 mg where its source says 20 mg"),
        ("Take 20 mg once a day for 10 days.", "says 10 day where its source says 5 day"),
        (
            "Take 20 mg once a day for 5 days, and drink alcohol while taking it.",
            "says the opposite of its source (a negation added or removed)",
        ),
    ],
)
def test_a_changed_amount_or_a_flipped_negation_is_a_contradiction(claim: str, why: str) -> None:
    assert contradiction(claim, SOURCE) == why


@pytest.mark.parametrize(
    "claim",
    [
        "Take 20 mg once a day for 5 days and avoid alcohol while taking it.",  # same advice
        "Take 20 mg daily; after the first 5 days you may need 2 weeks more.",  # adds to it
        "Alcohol is best left alone during the course.",  # few shared words: cannot tell
        "Most people feel better within a week.",  # another unit, nothing to compare
    ],
)
def test_a_paraphrase_or_an_addition_is_not(claim: str) -> None:
    assert contradiction(claim, SOURCE) is None


def test_the_check_marks_a_reversed_sentence_red_with_its_source(sample_kb: SampleKb) -> None:
    checker = EvidenceChecker(sample_kb.retriever.embedder)
    sources = [
        SourceText(1, "Ibuprofen should not be taken in the last three months of pregnancy.")
    ]
    asked = "I am pregnant. Can I take ibuprofen for back pain?"
    kept, flipped = (
        checker.check({"reply": f"{text} [1]"}, asked=asked, sources=sources, flagged=False)[0]
        for text in (
            "Ibuprofen should not be taken in the last three months of pregnancy.",
            "Ibuprofen should be taken in the last three months of pregnancy.",
        )
    )
    assert kept.verdict == "supported"
    assert flipped.verdict == "contradicted"
    assert flipped.method == "rules"
    assert flipped.evidence[0].source == 1
    assert "opposite" in flipped.note
