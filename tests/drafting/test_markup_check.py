"""A URL, an image or HTML in a draft that no retrieved source contains is marked for the doctor."""

from __future__ import annotations

import pytest

from drafter.drafting.checks import markup_problems
from tests.conftest import SampleKb
from tests.support.drafting_kit import EXPLAINER, QUESTION, REPLY, TITLE, draft_on
from tests.support.fakes import scripted_backend

PIXEL = "http://127.0.0.1:9/pixel.png"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"Rest [1]. ![x]({PIXEL})",
            [f"reply: shows an image ![x]({PIXEL}), which no source contains"],
        ),
        (
            "See [my photos](http://127.0.0.1:9/phish).",
            ["reply: links to http://127.0.0.1:9/phish, which no source contains"],
        ),
        (
            "Visit www.evil.example/x today.",
            ["reply: links to www.evil.example/x, which no source contains"],
        ),
        (
            f'Rest <img src="{PIXEL}"> now.',
            [f'reply: contains the HTML <img src="{PIXEL}">, which no source contains'],
        ),
        (
            "Send your results to me@freemail.example today.",
            ["reply: gives the e-mail address me@freemail.example, which no source contains"],
        ),
        ("Read https://medlineplus.gov/gout.html for more.", []),  # a source has it
        ("Rest and ice it [1]. Come in if it swells (or hurts > 2 weeks).", []),
    ],
)
def test_markup_no_source_contains_is_a_problem(text: str, expected: list[str]) -> None:
    sources = ["Gout: see https://medlineplus.gov/gout.html for the leaflet."]
    assert markup_problems({"reply": text}, sources) == expected


def test_a_draft_with_a_remote_image_is_incomplete(sample_kb: SampleKb) -> None:
    reply = REPLY + f" ![chart]({PIXEL})"
    backend, _ = scripted_backend(
        TITLE, reply, EXPLAINER + "\n\n<a href='http://x.example/'>more</a>"
    )
    draft = draft_on(sample_kb, QUESTION, backend)
    assert draft.status == "incomplete"
    assert f"reply: shows an image ![chart]({PIXEL}), which no source contains" in draft.problems
    assert any(p.startswith("explainer: contains the HTML <a href=") for p in draft.problems)
    clean, _ = scripted_backend(TITLE, REPLY, EXPLAINER)
    assert not any("no source contains" in p for p in draft_on(sample_kb, QUESTION, clean).problems)
