"""Citation checks: numbers must name sources; claim sections must cite something."""

from __future__ import annotations

import pytest

from drafter.drafting.citations import check_citations, cited_numbers


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("no cites", []),
        ("a [1] b [2]", [1, 2]),
        ("[1, 3]", [1, 3]),
        ("[2-4]", [2, 3, 4]),
        ("[1]-[2] and [x] and [1]", [1, 2, 1]),
    ],
)
def test_cited_numbers(text: str, numbers: list[int]) -> None:
    assert cited_numbers(text) == numbers


def test_unknown_source_is_flagged() -> None:
    issues = check_citations("Leaks are common [1] and rare [7].", 3, "reply")
    assert [(i.kind, i.detail) for i in issues] == [
        ("unknown_source", "[7] names no source (there are 3)")
    ]


def test_reply_without_citations_is_flagged() -> None:
    assert [i.kind for i in check_citations("Please come in.", 3, "reply")] == ["no_citations"]


def test_sections_that_cite_nothing_are_flagged_except_the_conclusion() -> None:
    text = "Intro.\n## Symptoms\nPain [1].\n## Causes\nPressure.\n## Conclusion\nSee a doctor."
    issues = check_citations(text, 2, "explainer")
    assert [(i.kind, i.detail) for i in issues] == [("uncited_section", "'Causes' cites nothing")]


def test_clean_text_has_no_issues() -> None:
    assert check_citations("## Symptoms\nPain [1].\n## Care\nRest [2].", 2, "explainer") == []
