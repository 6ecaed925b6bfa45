"""The numbered sources a prompt shows; citations [n] point at them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from drafter.core.records import Kind, SearchResult
from drafter.core.text import cut

_GREETING = re.compile(r"^\s*(hello|hi|dear [^,]{0,40})\s*[,!.]\s*", re.I)


@dataclass(frozen=True)
class Source:
    """One retrieved item as numbered in the prompt; citations [n] point here."""

    n: int
    id: str
    kind: Kind
    title: str
    excerpt: str
    specialty: str | None
    facts: str = ""  # the answer (Q&A) or article text alone: what the short reply is shown

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "specialty": self.specialty,
            "excerpt": self.excerpt,
            "facts": self.facts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        """A source as a stored version keeps it (versions before `facts` was kept: excerpt)."""
        return cls(
            int(data["n"]),
            str(data.get("id", "")),
            data.get("kind", "qa"),
            str(data.get("title", "")),
            str(data.get("excerpt", "")),
            data.get("specialty"),
            str(data.get("facts") or data.get("excerpt", "")),
        )


def build_sources(result: SearchResult, *, qa: int, faq: int, chars: int) -> list[Source]:
    """Number the top Q&As, then the top FAQ articles, with short excerpts for the prompt."""
    picked: list[Source] = []
    for hit in result.similar_qa[:qa]:
        answer = hit.metadata.get("answer", "")
        text = f"Question: {cut(hit.text, chars // 2)} Doctor's answer: {cut(answer, chars)}"
        picked.append(Source(len(picked) + 1, hit.id, "qa", hit.title, text, hit.specialty, answer))
    for hit in result.related_faq[:faq]:
        excerpt = cut(hit.text, chars)
        picked.append(
            Source(len(picked) + 1, hit.id, "faq", hit.title, excerpt, hit.specialty, hit.text)
        )
    return picked


def without_greeting(text: str) -> str:
    """A past answer without its opening "Hello," or "Dear ...,"."""
    return _GREETING.sub("", text)


def format_sources(sources: list[Source], chars: int | None = None) -> str:
    """The numbered source block of a prompt.

    With `chars` (the short reply) each source is its facts alone (the past answer without its
    question, title or greeting) cut to that length: a short prompt answers sooner.
    """
    if not sources:
        return "(no sources found)"
    if chars:
        return "\n".join(
            f"[{s.n}] {cut(without_greeting(s.facts or s.excerpt), chars)}" for s in sources
        )
    return "\n".join(f"[{s.n}] {s.title}: {s.excerpt}" for s in sources)
