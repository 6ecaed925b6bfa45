"""A finding the patient then says is over, was checked, or is their long-standing normal
(data/settled.toml): read on from the finding's words across the next sentences, since NegEx
judges a phrase within its own clause only. "He fell and hit his head on Saturday. We went to
A&E, the CT scan was clear, and he's been completely normal since" is not an emergency now; "it
stopped, but it came back an hour ago" still is."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from drafter.triage import context
from drafter.triage.categories import DATA
from drafter.triage.findings import Finding, Span


@dataclass(frozen=True)
class Kind:
    patterns: tuple[re.Pattern[str], ...]
    only: frozenset[str] | None  # the categories it settles; None: all but `never`


@dataclass(frozen=True)
class Rules:
    window: int
    never: frozenset[str]
    kinds: tuple[Kind, ...]
    unsettled: tuple[re.Pattern[str], ...]


def _compiled(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


@cache
def rules() -> Rules:
    raw = tomllib.loads((DATA / "settled.toml").read_text(encoding="utf-8"))
    kinds = tuple(
        Kind(_compiled(raw[k]["patterns"]), frozenset(raw[k]["only"]) if "only" in raw[k] else None)
        for k in ("checked", "stable", "over")
    )
    return Rules(
        int(raw["window"]), frozenset(raw["never"]), kinds, _compiled(raw["unsettled"]["patterns"])
    )


def after(text: str, span: Span, window: int) -> str:
    """The text from the start of `span` to the end of the `window` sentences after the one it
    ends in (a semantic finding's span is a whole sentence: what it says of itself counts)."""
    start, end = span
    spans = context.sentences(text) or [(0, len(text))]
    here = next((i for i, (_, e) in enumerate(spans) if e >= end), len(spans) - 1)
    return text[start : spans[min(here + window, len(spans) - 1)][1]]


def is_settled(text: str, finding: Finding) -> bool:
    """True when every place the finding was seen is followed by words that settle it."""
    r = rules()
    if finding.category in r.never or not finding.spans:
        return False
    patterns = [
        p for k in r.kinds if k.only is None or finding.category in k.only for p in k.patterns
    ]
    for span in finding.spans:
        following = after(text, span, r.window)
        if not any(p.search(following) for p in patterns):
            return False
        if any(p.search(following) for p in r.unsettled):
            return False
    return True


def unsettled(text: str, findings: list[Finding]) -> list[Finding]:
    """The findings that are not settled."""
    return [f for f in findings if not is_settled(text, f)]
