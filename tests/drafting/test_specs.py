"""The table of parts: what each row gives the pipeline, checked without a model."""

from __future__ import annotations

from dataclasses import fields
from typing import get_args

from drafter.core.settings import load_settings
from drafter.drafting.draft import Draft, Part
from drafter.drafting.generation import complete_checked
from drafter.drafting.parts import PromptSet
from drafter.drafting.sources import Source
from drafter.drafting.specs import (
    ALL_SOURCES,
    PART_NAMES,
    PART_SPECS,
    REPLY_SOURCES,
    TITLE_MAX_TOKENS,
    PageFacts,
    PartSpec,
)
from drafter.triage.stage import detect_red_flags
from tests.support.fakes import Recorder, scripted_backend


def _spec(name: str) -> PartSpec:
    return next(s for s in PART_SPECS if s.name == name)


def test_every_part_is_a_row_a_draft_field_and_a_template_in_drafting_order() -> None:
    assert PART_NAMES == get_args(Part) == ("title", "reply", "explainer")
    assert set(PART_NAMES) <= {f.name for f in fields(Draft)}
    prompts = PromptSet.load()
    assert [prompts[s.name].id for s in PART_SPECS] == ["title", "short_reply", "explainer"]
    assert prompts["reply"] is prompts.reply


def test_token_caps_come_from_the_constant_and_the_settings() -> None:
    settings = load_settings(reply_max_tokens=123, explainer_max_tokens=456)
    caps = {s.name: s.max_tokens(settings) for s in PART_SPECS}
    assert caps == {"title": TITLE_MAX_TOKENS, "reply": 123, "explainer": 456}


def test_the_reply_sees_and_may_cite_only_the_top_sources_cut_short() -> None:
    sources = [
        Source(
            n, f"id{n}", "qa", f"T{n}", f"Question: q Doctor's answer: {'a' * 200}", None, "f" * 200
        )
        for n in range(1, 6)
    ]
    settings = load_settings(reply_sources=2, reply_source_chars=80)
    assert [s.n for s in REPLY_SOURCES.pick(sources, settings)] == [1, 2]
    lines = REPLY_SOURCES.render(sources, settings).splitlines()
    assert [line[:4] for line in lines] == ["[1] ", "[2] "]
    assert all(len(line) <= len("[1] ") + 80 for line in lines)
    assert ALL_SOURCES.pick(sources, settings) == sources
    assert ALL_SOURCES.render(sources, settings).splitlines()[4].startswith("[5] T5: Question:")
    assert {s.name: s.sources for s in PART_SPECS}["reply"] is REPLY_SOURCES
    assert [s.name for s in PART_SPECS if s.cited] == ["reply", "explainer"]


def test_the_title_is_cleaned_before_its_check_and_the_reply_finished_after() -> None:
    flags = tuple(detect_red_flags("I have crushing chest pain and cannot breathe"))
    page = PageFacts(question="q", headings=(), red_flags=flags)
    title = _spec("title")
    assert title.clean('Title: "Knee pain after running"\n') == "Knee pain after running"
    reply = _spec("reply")
    assert reply.clean("As written.") == "As written."
    assert reply.finish("Rest the knee.", page).startswith(flags[0].advice)
    assert reply.finish("Rest the knee.", PageFacts("q", (), ())) == "Rest the knee."
    assert [s.takes_instruction for s in PART_SPECS] == [False, True, True]


def test_a_chatty_title_is_checked_and_kept_cleaned_without_a_retry() -> None:
    chatty = "Title: Knee Pain After Running\n\n" + "This title sums up the question well. " * 5
    backend, model = scripted_backend(chatty)
    template, seen = PromptSet.load().title, Recorder()
    messages = template.render(asker="30-39 year old male", question="My knee hurts.")
    page = PageFacts(question="My knee hurts.", headings=(), red_flags=())
    output, problems = complete_checked(
        backend, _spec("title"), template, messages, page, load_settings(), seen
    )
    assert (output, problems) == ("Knee Pain After Running", [])
    assert len(model.sent) == 1
    assert seen.stages == []  # no retry stage
    assert seen.text["title"].startswith("Title: Knee Pain After Running")  # streamed as written
