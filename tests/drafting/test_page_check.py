"""Cutting one checked sentence out of a part's text, as the app's "Remove" does."""

from __future__ import annotations

import pytest

from drafter.drafting.evidence import SentenceCheck
from drafter.drafting.page_check import cut_sentence
from drafter.drafting.sentences import split

TEXT = "Hello, thanks. You had a transplant in 2015. Rest it [1].\n\n## Care\nIce. Wait."


def check_of(text: str, sentence: str) -> SentenceCheck:
    found = next(s for s in split(text) if s.text == sentence)
    return SentenceCheck("reply", found.text, found.start, found.end, "about_the_patient", "rules")


@pytest.mark.parametrize(
    ("sentence", "left"),
    [
        ("Hello, thanks.", "You had a transplant in 2015. Rest it [1].\n\n## Care\nIce. Wait."),
        ("You had a transplant in 2015.", "Hello, thanks. Rest it [1].\n\n## Care\nIce. Wait."),
        ("Rest it [1].", "Hello, thanks. You had a transplant in 2015.\n\n## Care\nIce. Wait."),
        ("Wait.", "Hello, thanks. You had a transplant in 2015. Rest it [1].\n\n## Care\nIce."),
    ],
)  # fmt: skip
def test_the_sentence_and_its_space_go(sentence: str, left: str) -> None:
    assert cut_sentence(TEXT, check_of(TEXT, sentence)) == left


def test_a_text_edited_since_the_check_is_left_alone() -> None:
    check = check_of(TEXT, "You had a transplant in 2015.")
    edited = "Hi. " + TEXT
    assert cut_sentence(edited, check) == edited
