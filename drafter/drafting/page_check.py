"""The evidence check of a page's parts against the sources each part may cite: one function the
drafting pipeline, `drafter check` and the app's re-check after an edit all call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from drafter.core.question import PatientQuestion
from drafter.drafting.evidence import (
    RED,
    EvidenceChecker,
    SentenceCheck,
    SourceText,
    with_citations,
)
from drafter.drafting.sources import Source
from drafter.drafting.specs import PART_SPECS

if TYPE_CHECKING:
    from drafter.core.settings import Settings
    from drafter.drafting.judge import EvidenceJudge

CHECKED_PARTS = ("reply", "explainer")


def asked(question: PatientQuestion) -> str:
    """The patient's own text as the check reads it: the question with age group and sex."""
    extra = " ".join(x for x in (question.age_group, question.sex) if x)
    return f"{question.text} {extra}".strip()


def source_texts(sources: Sequence[Source]) -> list[SourceText]:
    return [SourceText(s.n, s.facts or s.excerpt) for s in sources]


def check_page(
    texts: Mapping[str, str],
    *,
    question: PatientQuestion,
    sources: Sequence[Source],
    flagged: bool,
    checker: EvidenceChecker,
    settings: Settings,
    judge: EvidenceJudge | None = None,
) -> list[SentenceCheck]:
    """A verdict for every sentence of the reply and the explainer in `texts`, each part checked
    against the sources it was shown (the ones its [n] may name); with a `judge`, the model then
    reads the supported sentences beside their source sentences (one call for the page)."""
    out: list[SentenceCheck] = []
    for spec in PART_SPECS:
        if spec.name not in CHECKED_PARTS or not texts.get(spec.name):
            continue
        shown = source_texts(spec.sources.pick(list(sources), settings))
        out += checker.check(
            {spec.name: texts[spec.name]}, asked=asked(question), sources=shown, flagged=flagged
        )
    return judge(out) if judge is not None else out


def cite_supported(texts: Mapping[str, str], checks: Sequence[SentenceCheck]) -> dict[str, str]:
    """Each part with the citation of its best source added to supported sentences that cite
    nothing, and wrong citations replaced by the one that backs the sentence."""
    return {
        part: with_citations(text, [c for c in checks if c.part == part])
        for part, text in texts.items()
    }


def red_problems(checks: Sequence[SentenceCheck]) -> list[str]:
    """The sentences a doctor must look at first, as draft problems (the draft is incomplete)."""
    problems = []
    for check in checks:
        if check.verdict in RED:
            shown = check.text if len(check.text) <= 80 else check.text[:77] + "…"
            label = check.verdict.replace("_", " ")
            problems.append(f"{check.part}: {label}: “{shown}” ({check.note})")
    return problems


def cut_sentence(text: str, check: SentenceCheck) -> str:
    """`text` without the sentence `check` is about, the space after it too; `text` unchanged
    when that sentence is no longer where the check found it (the text was edited since)."""
    if text[check.start : check.end] != check.text:
        return text
    before, after = text[: check.start], text[check.end :]
    if not after or after.startswith(("\n", "\r")):
        return before.rstrip(" ") + after
    return before + after.lstrip(" ") if not before or before[-1].isspace() else before + after
