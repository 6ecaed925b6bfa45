"""The Draft a page is built into, and the listener that watches it being written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from drafter.core.question import PatientQuestion
from drafter.core.records import Hit
from drafter.core.text import cut
from drafter.drafting.citations import CitationIssue
from drafter.drafting.evidence import SentenceCheck
from drafter.drafting.sources import Source
from drafter.drafting.untrusted import Redaction
from drafter.triage.findings import Finding

DRAFT_MARKER = "DRAFT - not reviewed or approved by a doctor"
CANNOT_ANSWER = "I cannot answer this from the available sources."
Part = Literal["title", "reply", "explainer"]


class DraftListener(Protocol):
    """What the CLI and the UI implement to show progress and live text."""

    def on_stage(self, stage: str) -> None: ...

    def on_token(self, part: str, text: str) -> None: ...


class SilentListener:
    def on_stage(self, stage: str) -> None:
        pass

    def on_token(self, part: str, text: str) -> None:
        pass


@dataclass
class Draft:
    question: PatientQuestion
    title: str = ""
    reply: str = ""
    explainer: str = ""
    similar_qa: list[Hit] = field(default_factory=list)
    related_faq: list[Hit] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    citation_issues: list[CitationIssue] = field(default_factory=list)
    red_flags: list[Finding] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    section_plan: str = ""
    sections: list[str] = field(default_factory=list)
    explainer_origin: str = "model"  # or "assembled" (from the sources: drafting/assembled.py)
    instruction: str | None = None
    problems: list[str] = field(default_factory=list)
    model: str = ""
    prompt_versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    sentences: list[SentenceCheck] = field(default_factory=list)
    marker: str = DRAFT_MARKER

    @property
    def cannot_answer(self) -> bool:
        """The model said the sources do not cover the question (the fixed phrase)."""
        return CANNOT_ANSWER.lower() in f"{self.reply}\n{self.explainer}".lower()

    @property
    def status(self) -> str:
        return "complete" if not self.problems and self.error is None else "incomplete"

    def to_json(self) -> dict[str, object]:
        return {
            "marker": self.marker,
            "status": self.status,
            "cannot_answer": self.cannot_answer,
            "title": self.title,
            "reply": self.reply,
            "explainer": self.explainer,
            "similar_qa": [_hit_json(h) for h in self.similar_qa],
            "related_faq": [_hit_json(h) for h in self.related_faq],
            "sources": [s.to_json() for s in self.sources],
            "citation_issues": [i.to_json() for i in self.citation_issues],
            "red_flags": [f.to_json() for f in self.red_flags],
            "redactions": [r.to_json() for r in self.redactions],
            "section_plan": self.section_plan,
            "sections": self.sections,
            "explainer_origin": self.explainer_origin,
            "instruction": self.instruction,
            "problems": self.problems,
            "sentences": [c.to_json() for c in self.sentences],
            "error": self.error,
            "model": self.model,
            "prompt_version": self.prompt_versions,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "question": self.question.to_json(),
        }


def _hit_json(hit: Hit) -> dict[str, object]:
    """A hit as the page shows it: the search JSON plus doctor and excerpts."""
    return {
        **hit.to_json(),
        "doctor": hit.metadata.get("doctor"),
        "excerpt": hit.excerpt(200),
        "answer_excerpt": cut(hit.metadata.get("answer", ""), 200),
    }
