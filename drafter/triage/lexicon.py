"""The lay-language layer: each category's patterns (data/lexicon.toml) in the words patients use,
found in the text as character spans. Whether the words are negated, past, about a relative's
history or hypothetical is judged afterwards (`context`)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from drafter.triage.categories import DATA, URGENCIES, Urgency, categories
from drafter.triage.findings import Span


@dataclass(frozen=True)
class Group:
    category: str
    patterns: tuple[re.Pattern[str], ...]
    requires: tuple[re.Pattern[str], ...] = ()
    urgency: Urgency | None = None


@dataclass(frozen=True)
class Hit:
    """Words of the text one group matched."""

    category: str
    span: Span
    urgency: Urgency | None
    # Where each of the group's required words were found: a hit whose required words are all
    # negated somewhere ("not on any blood thinners") is judged by context as the hit is.
    needs: tuple[tuple[Span, ...], ...] = ()


@cache
def groups() -> tuple[Group, ...]:
    """The lexicon, compiled; an unknown category, urgency or bad pattern fails at load."""
    raw = tomllib.loads((DATA / "lexicon.toml").read_text(encoding="utf-8"))
    known = categories()
    out = []
    for category, entries in raw.items():
        if category not in known:
            raise ValueError(f"lexicon.toml: [{category}] is not a category of categories.toml")
        for entry in entries:
            urgency = entry.get("urgency")
            if urgency is not None and urgency not in URGENCIES:
                raise ValueError(f"lexicon.toml: [{category}] has urgency {urgency!r}")
            out.append(
                Group(
                    category,
                    tuple(re.compile(p, re.I) for p in entry["patterns"]),
                    tuple(re.compile(p, re.I) for p in entry.get("requires", [])),
                    urgency,
                )
            )
    return tuple(out)


@cache
def _mentions() -> tuple[re.Pattern[str], re.Pattern[str]]:
    raw = tomllib.loads((DATA / "mentions.toml").read_text(encoding="utf-8"))
    names = "|".join(f"(?:{p})" for p in raw["names"])
    now = "|".join(f"(?:{p})" for p in raw["now"])
    return re.compile(rf"(?:{names})", re.I), re.compile(rf"(?:{now})", re.I)


def only_named(text: str, hits: list[Hit]) -> bool:
    """True when every hit is a condition's bare name (data/mentions.toml) and none is framed as
    happening now: asking about a condition, not describing it."""
    names, now = _mentions()
    return all(
        names.fullmatch(text[h.span[0] : h.span[1]].strip())
        and not now.search(text[max(0, h.span[0] - 40) : h.span[0]])
        for h in hits
    )


def find(text: str) -> list[Hit]:
    """Every place a group's patterns match, where its required words are in the text too."""
    hits = []
    for group in groups():
        needs = tuple(tuple(m.span() for m in p.finditer(text)) for p in group.requires)
        if not all(needs):
            continue
        for pattern in group.patterns:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    hits.append(Hit(group.category, match.span(), group.urgency, needs))
    return hits
