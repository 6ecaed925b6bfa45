"""Citation checks: every [n] must name a numbered source; every claim section must cite one."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CITE = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.M)
UNCITED_OK = (
    "conclusion",
    "summary",
    "when to see a doctor",
    "when to seek care",
    "when to seek help",
)


@dataclass(frozen=True)
class CitationIssue:
    kind: str  # "unknown_source" | "uncited_section" | "no_citations"
    where: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


def cited_numbers(text: str) -> list[int]:
    """Numbers cited as [1], [1, 2] or [1-3], in order of appearance, repeats kept."""
    out: list[int] = []
    for group in _CITE.findall(text):
        for part in re.split(r"\s*,\s*", group):
            bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part)]
            out.extend(range(bounds[0], bounds[-1] + 1) if len(bounds) == 2 else bounds)
    return out


def sections(markdown: str) -> list[tuple[str, str]]:
    marks = list(_HEADING.finditer(markdown))
    return [
        (m.group(1), markdown[m.end() : marks[i + 1].start() if i + 1 < len(marks) else None])
        for i, m in enumerate(marks)
    ]


def check_citations(text: str, n_sources: int, where: str) -> list[CitationIssue]:
    """Unknown source numbers anywhere; for Markdown with sections, sections citing nothing."""
    issues = [
        CitationIssue("unknown_source", where, f"[{n}] names no source (there are {n_sources})")
        for n in dict.fromkeys(cited_numbers(text))
        if not 1 <= n <= n_sources
    ]
    parts = sections(text)
    if parts:
        for heading, body in parts:
            if heading.lower().strip() in UNCITED_OK or not body.strip():
                continue
            if not cited_numbers(body):
                issues.append(CitationIssue("uncited_section", where, f"'{heading}' cites nothing"))
    elif n_sources and not cited_numbers(text):
        issues.append(CitationIssue("no_citations", where, "cites no source"))
    return issues
