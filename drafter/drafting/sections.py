"""Explainer section plans: which "## " headings suit a question, chosen by keyword rules.

The plans are data in `prompts/explainer/sections.toml` (validated when loaded). `choose_plan`
tries them in file order and takes the first one that applies: a keyword in the question and, for
a plan with `focus` words (a medicine, a test result), the question is about that thing, not
about symptoms that merely mention it: a focus word is there, or no symptom word is, and triage
flagged nothing (a chest-pain question that mentions the patient's aspirin is not a medication
leaflet). The last plan has no keywords and is the fallback. The rules are deliberately simple so
a doctor can predict them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from prompts import PROMPTS_DIR, PromptError

PLANS_FILE = PROMPTS_DIR / "explainer" / "sections.toml"


@dataclass(frozen=True)
class SectionPlan:
    id: str
    description: str
    keywords: tuple[str, ...]
    headings: tuple[str, ...]
    focus: tuple[str, ...] = ()  # words that say the question is about the thing itself
    symptoms: tuple[str, ...] = ()  # the file's symptom words, for a plan with focus words

    def matches(self, question: str) -> list[str]:
        """The keywords of this plan found in the question, in plan order."""
        return _found(self.keywords, question)

    def applies(self, question: str, *, flagged: bool = False) -> bool:
        """A keyword is in the question and, for a plan with focus words, the question is about
        its subject: not flagged by triage, and a focus word is there or no symptom word is."""
        if not self.matches(question):
            return False
        if not self.focus:
            return True
        return not flagged and bool(
            _found(self.focus, question) or not _found(self.symptoms, question)
        )


def _found(keywords: Sequence[str], text: str) -> list[str]:
    return [k for k in keywords if _keyword_pattern(k).search(text)]


@cache
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole word or phrase; a leading or trailing '*' matches the rest of a word."""
    core = re.escape(keyword.strip("*")).replace(r"\ ", r"\s+")
    head = r"\w*" if keyword.startswith("*") else ""
    tail = r"\w*" if keyword.endswith("*") else ""
    return re.compile(rf"(?<![\w-]){head}{core}{tail}(?![\w-])", re.I)


def parse_plans(text: str, source: str = "<string>") -> tuple[SectionPlan, ...]:
    """Plans from TOML; anything malformed is a PromptError naming the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{source}: not valid TOML ({exc})") from None
    rows = data.get("plan")
    if not isinstance(rows, list) or not rows:
        raise PromptError(f"{source}: needs at least one [[plan]]")
    symptoms = _words(data.get("symptoms", []), f"{source}: symptoms")
    plans: list[SectionPlan] = []
    for i, row in enumerate(rows, 1):
        where = f"{source}: plan {i}"
        if not isinstance(row, dict) or set(row) - {"focus"} != {
            "id",
            "description",
            "keywords",
            "headings",
        }:
            raise PromptError(
                f"{where}: needs exactly id, description, keywords, headings (and maybe focus)"
            )
        keywords, headings = _words(row["keywords"], f"{where}: keywords"), row["headings"]
        focus = _words(row.get("focus", []), f"{where}: focus")
        if focus and not symptoms:
            raise PromptError(f"{where}: focus words need the file's symptoms list")
        if not 3 <= len(headings) <= 8 or len({h.lower() for h in headings}) != len(headings):
            raise PromptError(f"{where}: needs 3-8 distinct headings")
        if not all(
            isinstance(h, str) and h.strip() and not set(h) & set("#\n[]") for h in headings
        ):
            raise PromptError(f"{where}: a heading is empty or holds '#', '[', ']' or a newline")
        plans.append(
            SectionPlan(
                row["id"],
                row["description"],
                keywords,
                tuple(headings),
                focus,
                symptoms if focus else (),
            )
        )
    ids = [p.id for p in plans]
    if len(set(ids)) != len(ids):
        raise PromptError(f"{source}: plan ids repeat: {ids}")
    if plans[-1].keywords or any(not p.keywords for p in plans[:-1]):
        raise PromptError(f"{source}: only the last plan (the fallback) may have no keywords")
    return tuple(plans)


def _words(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip("* ") for x in value):
        raise PromptError(f"{where}: must be a list of non-empty strings")
    return tuple(value)


@cache
def load_plans(path: Path = PLANS_FILE) -> tuple[SectionPlan, ...]:
    return parse_plans(path.read_text(encoding="utf-8"), str(path))


def choose_plan(
    question: str, plans: Sequence[SectionPlan] | None = None, *, flagged: bool = False
) -> SectionPlan:
    """The first plan that applies to the question (see `SectionPlan.applies`; `flagged`: triage
    found a red flag), else the fallback (the last plan)."""
    plans = plans or load_plans()
    return next((p for p in plans if p.applies(question, flagged=flagged)), plans[-1])


def fallback_plan() -> SectionPlan:
    """The plan for questions no rule matches; explainer v1 asks for exactly these headings."""
    return load_plans()[-1]


def format_headings(headings: Sequence[str]) -> str:
    """How a plan is written into the prompt: `## A, ## B, ## C`."""
    return ", ".join(f"## {h}" for h in headings)


def _normal(heading: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", heading.lower()).split())


def missing_headings(markdown: str, headings: Sequence[str]) -> list[str]:
    """Planned headings with no '## ' heading that contains them (case and punctuation ignored)."""
    found = [_normal(h) for h in re.findall(r"^##\s+(.+?)\s*$", markdown, flags=re.M)]
    return [h for h in headings if not any(_normal(h) in f for f in found)]


BlockKind = Literal["paragraph", "bullets", "numbered"]


@dataclass(frozen=True)
class Block:
    """A paragraph (its lines) or a list (its items) of an explainer, as plain text."""

    kind: BlockKind
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    """One `## ` section of an explainer: its heading ("" before the first) and its blocks."""

    heading: str
    blocks: tuple[Block, ...]


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)[\s#]*$")
_ITEM = re.compile(r"^\s*(?:(?P<bullet>[-*+•])|(?P<number>\d{1,3})[.)])\s+(?P<text>.*\S)")


def parse_explainer(markdown: str) -> list[Section]:
    """An explainer as its headings, paragraphs and lists, every piece plain text: renderers
    add the formatting themselves, so nothing in the model's text is ever rendered as Markdown."""
    sections: list[Section] = []
    heading, blocks, lines = "", list[Block](), list[str]()
    kind: BlockKind = "paragraph"

    def close_block() -> None:
        if lines:
            blocks.append(Block(kind, tuple(lines)))
        lines.clear()

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if found := _HEADING.match(raw):
            close_block()
            if heading or blocks:
                sections.append(Section(heading, tuple(blocks)))
            heading, blocks = found.group(1).strip(), []
        elif not raw.strip():
            close_block()
        elif item := _ITEM.match(raw):
            wanted: BlockKind = "bullets" if item.group("bullet") else "numbered"
            if kind != wanted:
                close_block()
            kind = wanted
            lines.append(item.group("text"))
        else:
            if kind != "paragraph":
                close_block()
            kind = "paragraph"
            lines.append(raw.strip())
    close_block()
    if heading or blocks:
        sections.append(Section(heading, tuple(blocks)))
    return sections
