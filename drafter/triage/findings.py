"""What triage found: per finding its category, urgency, the patient's words (character spans),
a confidence and the layer that found it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from drafter.triage.categories import Category, Urgency, categories, urgency_rank

Span = tuple[int, int]


def union(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Overlapping or touching spans joined, in order: what the app highlights."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


@dataclass(frozen=True)
class Finding:
    category: str
    label: str
    urgency: Urgency
    advice: str
    spans: tuple[Span, ...]
    matched: str  # the patient's words at the first span
    confidence: float
    layer: str  # "lexicon", "semantic" or "llm"

    @classmethod
    def of(
        cls,
        category: Category,
        text: str,
        spans: Iterable[Span],
        *,
        confidence: float,
        layer: str,
        urgency: Urgency | None = None,
    ) -> Finding:
        ordered = union(spans)
        start, end = ordered[0]
        return cls(
            category.id,
            category.label,
            urgency or category.urgency,
            category.advice,
            ordered,
            text[start:end].strip(),
            round(confidence, 3),
            layer,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """A stored finding, including those stored before triage had urgencies and spans."""
        known = categories().get(str(data["rule_id"]))
        return cls(
            str(data["rule_id"]),
            str(data.get("label") or (known.label if known else data["rule_id"])),
            data.get("urgency") or (known.urgency if known else "emergency"),
            known.advice if known else "",
            tuple((int(a), int(b)) for a, b in data.get("spans", [])),
            str(data.get("matched", "")),
            float(data.get("confidence", 1.0)),
            str(data.get("layer", "rules")),
        )

    @property
    def rule_id(self) -> str:
        """The category, under the name stored questions and eval sets have always used."""
        return self.category

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.category,
            "category": self.category,
            "label": self.label,
            "urgency": self.urgency,
            "matched": self.matched,
            "spans": [list(s) for s in self.spans],
            "confidence": self.confidence,
            "layer": self.layer,
        }


@dataclass(frozen=True)
class Triage:
    """Every finding of one question, the most urgent first, each layer's time in seconds, and
    why a layer failed (its findings are missing; the other layers' stand)."""

    findings: tuple[Finding, ...]
    timings: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return [f.category for f in self.findings]

    @property
    def urgency(self) -> Urgency:
        return min((f.urgency for f in self.findings), key=urgency_rank, default="routine")


def merge(found: Iterable[Finding], order: list[str]) -> tuple[Finding, ...]:
    """One finding per category: the layers' spans joined, the highest confidence and the most
    urgent urgency kept, named by every layer that found it; sorted by urgency then `order`."""
    by_category: dict[str, list[Finding]] = {}
    for finding in found:
        by_category.setdefault(finding.category, []).append(finding)
    merged = []
    for category, group in by_category.items():
        best = max(group, key=lambda f: f.confidence)
        # Word-level spans (the lexicon's) say more than a whole sentence (the semantic layer's).
        precise = [f for f in group if f.layer != "semantic"] or group
        spans = union(s for f in precise for s in f.spans)
        layers = "+".join(dict.fromkeys(f.layer for f in group))
        urgency = min((f.urgency for f in group), key=urgency_rank)
        first = min(precise, key=lambda f: f.spans[0])
        merged.append(
            Finding(
                category,
                best.label,
                urgency,
                best.advice,
                spans,
                first.matched,
                best.confidence,
                layers,
            )
        )
    rank = {c: i for i, c in enumerate(order)}
    merged.sort(key=lambda f: (urgency_rank(f.urgency), rank.get(f.category, len(rank))))
    return tuple(merged)
