"""The triage stage: runs before retrieval and any model, on the patient's text alone, and returns
every finding with the layer that found it. Layers only add: a flag raised by one is never removed
by another (erring towards flagging)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from drafter.core.text import STRAIGHT_QUOTES, cut
from drafter.triage import context, lexicon, settled
from drafter.triage.categories import categories, urgency_rank
from drafter.triage.findings import Finding, Triage, merge

# A layer beyond the lexicon: the text in, findings out (the semantic layer, an LLM).
Layer = Callable[[str], list[Finding]]
LEXICON_CONFIDENCE = 0.9
REQUIRED = "lexicon"  # the one layer whose failure fails triage


def lexicon_findings(text: str) -> list[Finding]:
    """The lexicon's matches that context leaves standing: not negated, not past, not a relative's
    history, not hypothetical, not a condition merely named, not resting on required words
    that are all negated, and not settled by what the patient says next (`settled`)."""
    hits = lexicon.find(text)
    needed = sorted({span for h in hits for spans in h.needs for span in spans})
    verdicts = context.judge(text, [h.span for h in hits] + needed)
    negated = {
        span for span, v in zip(needed, verdicts[len(hits) :], strict=True) if "negated" in v
    }
    known = categories()
    kept: dict[str, list[lexicon.Hit]] = {}
    for hit, modifiers in zip(hits, verdicts[: len(hits)], strict=True):
        # a required word negated wherever it appears: "I'm not on any blood thinners"
        if not modifiers and not any(set(spans) <= negated for spans in hit.needs):
            kept.setdefault(hit.category, []).append(hit)
    kept = {c: group for c, group in kept.items() if not lexicon.only_named(text, group)}
    return settled.unsettled(text, [
        Finding.of(
            known[category],
            text,
            [h.span for h in group],
            confidence=LEXICON_CONFIDENCE,
            layer="lexicon",
            urgency=min((h.urgency or known[category].urgency for h in group), key=urgency_rank),
        )
        for category, group in kept.items()
    ])  # fmt: skip


@dataclass
class Triager:
    """The lexicon with context always; the semantic layer and an LLM when they are given. A
    layer other than the lexicon that raises is recorded in `Triage.errors` and skipped."""

    layers: dict[str, Layer]

    @classmethod
    def build(cls, **extra: Layer | None) -> Triager:
        return cls({"lexicon": lexicon_findings, **{k: v for k, v in extra.items() if v}})

    def __call__(self, text: str) -> Triage:
        text = text.translate(STRAIGHT_QUOTES)  # spans still index the patient's own text
        found: list[Finding] = []
        timings: dict[str, float] = {}
        errors: dict[str, str] = {}
        for name, layer in self.layers.items():
            started = time.perf_counter()
            try:
                found += layer(text)
            except Exception as exc:
                if name == REQUIRED:  # the floor of triage: a failure here is a bug to see
                    raise
                # Another layer (a model server, an embedder) failing must not fail triage: what
                # the rest found stands and the failure is reported.
                errors[name] = cut(str(exc) or type(exc).__name__, 300)
            finally:
                timings[name] = time.perf_counter() - started
        return Triage(merge(found, list(categories())), timings, errors)


@cache
def default_triager() -> Triager:
    """Lexicon and context only: what runs where no embedder is at hand."""
    return Triager.build()


def detect_red_flags(text: str, triage: Callable[[str], Triage] | None = None) -> list[Finding]:
    """Every finding in `text` (by `triage`, default the lexicon and context), most urgent first."""
    return list((triage or default_triager())(text).findings)
