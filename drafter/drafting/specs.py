"""The parts of a page as one table: per part its prompt, token cap, sources, check and finish.

`draft_page()` drafts the rows of `PART_SPECS` in order; adding or changing a part is a row here,
not a branch in the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drafter.drafting.checks import check_explainer, check_reply, check_title, clean_title
from drafter.drafting.draft import Part
from drafter.drafting.sources import Source, format_sources
from drafter.triage.findings import Finding

if TYPE_CHECKING:
    from drafter.core.settings import Settings

TITLE_MAX_TOKENS = 40


@dataclass(frozen=True)
class PageFacts:
    """What a part's check and finish need to know of the page being drafted."""

    question: str  # the patient's question as checked (stripped)
    headings: tuple[str, ...]  # the explainer's planned sections
    red_flags: tuple[Finding, ...]


@dataclass(frozen=True)
class SourceView:
    """Which of a page's numbered sources a part is shown, and so the ones it may cite."""

    top: Callable[[Settings], int | None]  # the first this many sources; None: all of them
    chars: Callable[[Settings], int | None]  # each one's facts alone cut to this; None: as is

    def pick(self, sources: list[Source], settings: Settings) -> list[Source]:
        return sources[: self.top(settings)]

    def render(self, sources: list[Source], settings: Settings) -> str:
        return format_sources(self.pick(sources, settings), self.chars(settings))


ALL_SOURCES = SourceView(top=lambda _: None, chars=lambda _: None)
# The short reply gets the top sources, shorter: prompt size drives time to first token.
REPLY_SOURCES = SourceView(top=lambda s: s.reply_sources, chars=lambda s: s.reply_source_chars)


@dataclass(frozen=True)
class PartSpec:
    """How one part of a page is drafted, checked and kept."""

    name: Part
    prompt_id: str  # the folder under prompts/ its template comes from
    max_tokens: Callable[[Settings], int]
    sources: SourceView  # the {sources} block its prompt shows
    clean: Callable[[str], str]  # applied to what the model wrote, before it is checked
    check: Callable[[str, PageFacts], list[str]]  # problems, which ask for one retry
    finish: Callable[[str, PageFacts], str]  # applied to the checked text that is kept
    takes_instruction: bool  # a template without {doctor_note} is then a problem
    cited: bool  # its [n] must name one of the sources it was shown


def with_urgent_sentence(reply: str, flags: Sequence[Finding]) -> str:
    """A flagged question's reply always starts with the urgent-care advice of its first rule."""
    if not flags:
        return reply
    advice = flags[0].advice
    return reply if advice.lower() in reply.lower() else f"{advice} {reply}".strip()


def _as_written(text: str) -> str:
    return text


def _kept(text: str, page: PageFacts) -> str:
    return text


PART_SPECS: tuple[PartSpec, ...] = (  # in the order drafted
    PartSpec(
        name="title",
        prompt_id="title",
        max_tokens=lambda _: TITLE_MAX_TOKENS,
        sources=ALL_SOURCES,
        clean=clean_title,
        check=lambda text, page: check_title(text),
        finish=_kept,
        takes_instruction=False,
        cited=False,
    ),
    PartSpec(
        name="reply",
        prompt_id="short_reply",
        max_tokens=lambda s: s.reply_max_tokens,
        sources=REPLY_SOURCES,
        clean=_as_written,
        check=lambda text, page: check_reply(text, question=page.question),
        finish=lambda text, page: with_urgent_sentence(text, page.red_flags),
        takes_instruction=True,
        cited=True,
    ),
    PartSpec(
        name="explainer",
        prompt_id="explainer",
        max_tokens=lambda s: s.explainer_max_tokens,
        sources=ALL_SOURCES,
        clean=_as_written,
        check=lambda text, page: check_explainer(text, headings=page.headings),
        finish=_kept,
        takes_instruction=True,
        cited=True,
    ),
)
PART_NAMES: tuple[Part, ...] = tuple(spec.name for spec in PART_SPECS)
