"""The reviewers' dashboard as data: acceptance and edit distance of approved replies over time
and by prompt version, model and specialty; rubric scores by prompt version; blind A/B wins;
red-flag counts; CSV export. The app only draws these.

An approved reply is **accepted** when its final text is within ACCEPT_THRESHOLD normalised word
edit distance of the AI's first draft (see `drafter.diff`): at most one word in ten inserted,
deleted or replaced, so a doctor who fixed a typo or a greeting accepted the draft, and one who
rewrote a sentence did not.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from drafter.review.pairs import AXES, RUBRIC, Rating, final_pairs, prompt_label, ratings
from drafter.workflow.doctor import Workflow
from drafter.workflow.drafts import Part
from drafter.workflow.questions import Question

ACCEPT_THRESHOLD = 0.10
Period = Literal["day", "week"]
GroupBy = Literal["day", "week", "prompt", "model", "specialty"]
_ALL = 1_000_000


def is_accepted(normalised_edit_distance: float) -> bool:
    return normalised_edit_distance <= ACCEPT_THRESHOLD


def period_start(when: datetime, period: Period) -> date:
    """The day, or the Monday of the ISO week, that `when` falls in."""
    day = when.date()
    return day - timedelta(days=day.weekday()) if period == "week" else day


@dataclass(frozen=True)
class ApprovalRecord:
    """One approved reply measured against the AI's first draft of its question."""

    question_id: int
    specialty: str
    approved_at: datetime
    approved_by: str
    model: str
    prompt: str
    ai_words: int
    final_words: int
    edit_distance: int
    normalised_edit_distance: float
    accepted: bool
    red_flags: int


def approval_records(workflow: Workflow, part: Part = "reply") -> list[ApprovalRecord]:
    records = []
    for pair in final_pairs(workflow, part):
        ai_words, final_words = pair.word_counts
        normalised = pair.normalised_edit_distance
        records.append(
            ApprovalRecord(
                pair.question.id,
                pair.question.specialty or "not set",
                pair.approval.approved_at,
                pair.approval.approved_by,
                pair.ai.model or "unknown",
                prompt_label(pair.ai.prompt_version),
                ai_words,
                final_words,
                pair.edit_distance,
                round(normalised, 4),
                is_accepted(normalised),
                len(pair.question.red_flags),
            )
        )
    return sorted(records, key=lambda r: r.approved_at)


@dataclass(frozen=True)
class Group:
    key: str
    approvals: int
    accepted: int
    acceptance_rate: float
    median_edit_distance: float
    median_normalised_edit_distance: float


def _key(by: GroupBy) -> Callable[[ApprovalRecord], str]:
    if by in ("day", "week"):
        return lambda r: period_start(r.approved_at, by).isoformat()  # type: ignore[arg-type]
    return lambda r: str(getattr(r, by))


def group(records: Iterable[ApprovalRecord], by: GroupBy) -> list[Group]:
    """Acceptance rate and median edit distance per day, week, prompt, model or specialty."""
    groups: dict[str, list[ApprovalRecord]] = defaultdict(list)
    key = _key(by)
    for record in records:
        groups[key(record)].append(record)
    return [
        Group(
            name,
            len(members),
            accepted := sum(r.accepted for r in members),
            round(accepted / len(members), 4),
            statistics.median(r.edit_distance for r in members),
            round(statistics.median(r.normalised_edit_distance for r in members), 4),
        )
        for name, members in sorted(groups.items())
    ]


# --- ratings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """How a version was drafted: its question, model and prompt versions."""

    question_id: int
    model: str
    prompt: str

    @property
    def label(self) -> str:
        return f"{self.model} · {self.prompt}"


def setups(workflow: Workflow, version_ids: Iterable[int]) -> dict[int, Setup]:
    return {
        vid: Setup(v.question_id, v.model or "unknown", prompt_label(v.prompt_version))
        for vid, v in workflow.rated_versions(version_ids).items()
    }


@dataclass(frozen=True)
class AxisScore:
    prompt: str
    axis: str
    name: str
    mean: float
    normalised: float
    ratings: int


def rubric_by_prompt(found: Sequence[Rating], by_version: dict[int, Setup]) -> list[AxisScore]:
    """Mean score per prompt version and axis over every rated version (both sides of A/B)."""
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rating in found:
        for version_id, axes in rating.scored():
            setup = by_version.get(version_id)
            prompt = setup.prompt if setup else "unknown"
            for axis, score in axes.items():
                scores[prompt, axis].append(score)
    order = {axis.key: i for i, axis in enumerate(RUBRIC)}
    return [
        AxisScore(
            prompt,
            axis,
            AXES[axis].name,
            round(mean := statistics.fmean(values), 3),
            round(AXES[axis].normalised(mean), 3),
            len(values),
        )
        for (prompt, axis), values in sorted(
            scores.items(), key=lambda i: (i[0][0], order[i[0][1]])
        )
    ]


@dataclass(frozen=True)
class Preference:
    """How a setup (model · prompts) fared in blind A/B comparisons."""

    setup: str
    comparisons: int
    wins: int
    ties: int
    losses: int

    @property
    def win_rate(self) -> float:
        return self.wins / self.comparisons if self.comparisons else 0.0


def ab_preferences(found: Sequence[Rating], by_version: dict[int, Setup]) -> list[Preference]:
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for rating in found:
        if rating.mode != "ab" or rating.preferred is None or rating.other_version_id is None:
            continue
        for side, version_id in (("A", rating.version_id), ("B", rating.other_version_id)):
            setup = by_version.get(version_id)
            outcome = (
                "ties"
                if rating.preferred == "tie"
                else ("wins" if rating.preferred == side else "losses")
            )
            tally[setup.label if setup else "unknown"][outcome] += 1
    return [
        Preference(name, sum(c.values()), c["wins"], c["ties"], c["losses"])
        for name, c in sorted(tally.items())
    ]


@dataclass(frozen=True)
class RatingExport:
    """One rated version of one rating, a row of the ratings CSV."""

    rating_id: int
    created_at: datetime
    reviewer: str
    mode: str
    part: str
    question_id: int | None
    version_id: int
    side: str
    model: str
    prompt: str
    preferred: str
    comment: str
    consensus: int | None
    reasoning: int | None
    omission: int | None
    harm_extent: int | None
    harm_likelihood: int | None
    empathy: int | None
    readability: int | None
    citations: int | None


def rating_rows(found: Sequence[Rating], by_version: dict[int, Setup]) -> list[RatingExport]:
    rows = []
    for rating in found:
        for i, (version_id, axes) in enumerate(rating.scored()):
            setup = by_version.get(version_id)
            side = ("A", "B")[i] if rating.mode == "ab" else ""
            rows.append(
                RatingExport(
                    rating.id,
                    rating.created_at,
                    rating.reviewer,
                    rating.mode,
                    rating.part,
                    setup.question_id if setup else None,
                    version_id,
                    side,
                    setup.model if setup else "unknown",
                    setup.prompt if setup else "unknown",
                    rating.preferred or "",
                    rating.comment,
                    **{axis.key: axes.get(axis.key) for axis in RUBRIC},
                )
            )
    return rows


# --- red flags ----------------------------------------------------------------------------------


def red_flag_counts(questions: Iterable[Question]) -> dict[str, int]:
    """Questions per red-flag rule (a question with two flags counts for both), most first."""
    counts = Counter(flag["label"] for q in questions for flag in q.red_flags)
    return dict(counts.most_common())


def flagged_by_period(questions: Iterable[Question], period: Period) -> list[tuple[str, int, int]]:
    """(period start, questions received, of them red-flagged) per day or week."""
    totals: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for q in questions:
        key = period_start(q.created_at, period).isoformat()
        totals[key] += 1
        flagged[key] += bool(q.red_flags)
    return [(key, totals[key], flagged[key]) for key in sorted(totals)]


# --- everything at once, and CSV ----------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    approvals: list[ApprovalRecord]
    ratings: list[Rating]
    setups: dict[int, Setup]
    questions: list[Question]

    @property
    def empty(self) -> bool:
        return not (self.approvals or self.ratings or self.questions)

    @property
    def acceptance_rate(self) -> float | None:
        if not self.approvals:
            return None
        return sum(r.accepted for r in self.approvals) / len(self.approvals)

    @property
    def median_edit_distance(self) -> float | None:
        if not self.approvals:
            return None
        return statistics.median(r.edit_distance for r in self.approvals)


def load(workflow: Workflow, part: Part = "reply") -> Dashboard:
    found = ratings(workflow)
    ids = [vid for rating in found for vid, _ in rating.scored()]
    return Dashboard(
        approval_records(workflow, part),
        found,
        setups(workflow, ids),
        workflow.questions(limit=_ALL),
    )


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value


def to_csv(row_type: type, rows: Iterable[Any]) -> str:
    """Rows of a dataclass as CSV with a header line (just the header when there are none)."""
    if not is_dataclass(row_type):
        raise TypeError("to_csv takes a dataclass type")
    names = [f.name for f in fields(row_type)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in names])
    return out.getvalue()
