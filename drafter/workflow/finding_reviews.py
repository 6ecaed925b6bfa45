"""The doctors' reviews of triage findings: each confirms or dismisses one finding of a question,
with a reason, as an append-only row; the newest review of a finding is its current verdict.

The question's stored findings (`red_flags`) are never changed: a dismissed finding stays on the
page, marked. The reviews export as a labelled set in the format of knowledge/eval/triage/*.jsonl
(`labelled_set`), which `drafter eval-triage` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.workflow import audit
from drafter.workflow.accounts import User, require
from drafter.workflow.tables import FindingReviewRow, QuestionRow

Verdict = Literal["confirmed", "dismissed"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
MAX_REASON_CHARS = 500
SOURCE = "doctor_review"  # the `source` of every exported line


@dataclass(frozen=True)
class FindingReview:
    id: int
    question_id: int
    category: str
    verdict: Verdict
    reason: str
    reviewed_by: str
    created_at: datetime


@dataclass(frozen=True)
class LabelledSet:
    """The exported lines, and the questions left out because a finding nobody confirmed is
    still unreviewed (calling such a question a negative could be wrong)."""

    rows: list[dict[str, Any]]
    incomplete: list[int]


def finding_category(finding: dict[str, Any]) -> str:
    """A stored finding's category (findings stored before triage had categories: its rule)."""
    return str(finding.get("category") or finding.get("rule_id") or "")


def _review(row: FindingReviewRow) -> FindingReview:
    return FindingReview(
        row.id,
        row.question_id,
        row.category,
        row.verdict,  # type: ignore[arg-type]
        row.reason,
        row.reviewed_by,
        row.created_at,
    )


def _checked_reason(verdict: str, reason: str) -> str:
    if verdict not in VERDICTS:
        raise InputError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    reason = reason.strip()
    if verdict == "dismissed" and not reason:
        raise InputError("a dismissal needs a reason (what makes this finding wrong?)")
    if len(reason) > MAX_REASON_CHARS:
        raise InputError(f"the reason has {len(reason)} characters; at most {MAX_REASON_CHARS}")
    return reason


def add_review(
    sessions: sessionmaker[Session],
    user: User,
    question_id: int,
    category: str,
    verdict: str,
    reason: str = "",
) -> FindingReview:
    """Store a doctor's verdict on one finding of a question, audited in the same transaction."""
    user = require(sessions, user, "review_finding")
    reason = _checked_reason(verdict, reason)
    with sessions.begin() as session:
        question = session.get(QuestionRow, question_id)
        if question is None:
            raise InputError(f"there is no question {question_id}")
        found = [finding_category(f) for f in question.red_flags]
        if category not in found:
            has = f"its findings: {', '.join(found)}" if found else "it has no findings"
            raise InputError(f"question {question_id} has no finding {category!r}; {has}")
        row = FindingReviewRow(
            question_id=question_id,
            category=category,
            verdict=verdict,
            reason=reason,
            reviewed_by=user.username,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            user.username,
            f"finding.{verdict}",
            question_id=question_id,
            category=category,
            reason=reason,
        )
        return _review(row)


def list_reviews(sessions: sessionmaker[Session], question_id: int) -> list[FindingReview]:
    """Every review of one question's findings, oldest first."""
    query = (
        select(FindingReviewRow)
        .where(FindingReviewRow.question_id == question_id)
        .order_by(FindingReviewRow.id)
    )
    with sessions() as session:
        return [_review(r) for r in session.scalars(query)]


def current_verdicts(reviews: Iterable[FindingReview]) -> dict[str, FindingReview]:
    """The newest review (the highest id) of each category, in whatever order they are given."""
    return {r.category: r for r in sorted(reviews, key=lambda r: r.id)}


def finding_words(text: str, finding: dict[str, Any]) -> list[str]:
    """The patient's words of a finding: its spans' text, or the stored `matched` words."""
    spans = [(int(a), int(b)) for a, b in finding.get("spans", [])]
    words = [text[a:b].strip() for a, b in spans if 0 <= a < b <= len(text)]
    matched = str(finding.get("matched") or "")
    return [w for w in words if w] or ([matched] if matched and matched in text else [])


def labelled_line(question: QuestionRow, verdicts: dict[str, FindingReview]) -> dict[str, Any]:
    """One reviewed question as a line of a triage labelled set (knowledge/eval/triage/)."""
    findings = {finding_category(f): f for f in question.red_flags}
    confirmed = [c for c in findings if c in verdicts and verdicts[c].verdict == "confirmed"]
    dismissed = [verdicts[c] for c in findings if c in verdicts and c not in confirmed]
    evidence = [w for c in confirmed for w in finding_words(question.text, findings[c])]
    line: dict[str, Any] = {
        "id": f"q{question.id}",
        "question": question.text,
        "red_flags": confirmed,
        "kind": "positive" if confirmed else "hard_negative",
        "evidence": list(dict.fromkeys(evidence)),
        "dismissed": [
            {"category": r.category, "reason": r.reason, "by": r.reviewed_by} for r in dismissed
        ],
        "source": SOURCE,
    }
    if not confirmed and dismissed:  # as the hand-written hard negatives say what they resemble
        line["near"], line["why"] = dismissed[0].category, dismissed[0].reason
    for key in ("age_group", "sex", "specialty"):
        if value := getattr(question, key):
            line[key] = value
    return line


def labelled_set(sessions: sessionmaker[Session]) -> LabelledSet:
    """Every question with at least one review, as labelled lines, oldest question first."""
    with sessions() as session:
        reviews: dict[int, list[FindingReview]] = {}
        for row in session.scalars(select(FindingReviewRow).order_by(FindingReviewRow.id)):
            reviews.setdefault(row.question_id, []).append(_review(row))
        questions = session.scalars(
            select(QuestionRow).where(QuestionRow.id.in_(reviews)).order_by(QuestionRow.id)
        )
        rows, incomplete = [], []
        for question in questions:
            verdicts = current_verdicts(reviews[question.id])
            line = labelled_line(question, verdicts)
            unreviewed = {finding_category(f) for f in question.red_flags} - set(verdicts)
            if line["kind"] == "hard_negative" and unreviewed:
                incomplete.append(question.id)
            else:
                rows.append(line)
        return LabelledSet(rows, incomplete)
