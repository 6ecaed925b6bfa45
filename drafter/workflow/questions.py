"""The doctor's inbox: patient questions, typed or imported from a file, listed and counted.

Each function opens its own session; `Workflow` is the facade that calls them. A question's text
is never changed after it is added; only its status moves (new -> drafted -> approved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.core.question import PatientQuestion
from drafter.core.records import normalize_specialty
from drafter.triage.categories import urgency_rank
from drafter.triage.findings import Triage
from drafter.triage.stage import detect_red_flags
from drafter.workflow import audit, documents
from drafter.workflow.accounts import User, require
from drafter.workflow.tables import QuestionRow
from knowledge.importers import ImportIssue, read_rows
from knowledge.retrieval import check_query

Status = Literal["new", "drafted", "approved"]
STATUSES: tuple[Status, ...] = ("new", "drafted", "approved")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    age_group: str | None
    sex: str | None
    specialty: str | None
    asker: str | None
    origin: str
    status: str
    red_flags: list[dict[str, Any]]
    created_by: str
    created_at: datetime

    @property
    def asker_line(self) -> str:
        who = " ".join(p for p in (self.age_group and f"{self.age_group} year old", self.sex) if p)
        return ", ".join(p for p in (self.asker, who) if p) or "age and sex not given"

    @property
    def urgency_rank(self) -> int:
        """0 for an emergency finding, 1 same day, then routine; findings stored before triage
        had urgencies were all emergencies."""
        ranks = [urgency_rank(f.get("urgency", "emergency")) for f in self.red_flags]
        return min(ranks, default=urgency_rank("routine"))

    def waiting(self, now: datetime | None = None) -> str:
        """How long the patient has waited, like '3 h' or '2 d'."""
        seconds = ((now or _now()) - self.created_at).total_seconds()
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                return f"{int(seconds // size)} {unit}"
        return "just now"

    def to_json(self) -> dict[str, Any]:
        return {**vars(self), "created_at": self.created_at.isoformat(timespec="seconds") + "Z"}


def _question(row: QuestionRow) -> Question:
    return Question(
        row.id,
        row.text,
        row.age_group,
        row.sex,
        row.specialty,
        row.asker,
        row.origin,
        row.status,
        list(row.red_flags),
        row.created_by,
        row.created_at,
    )


def add_question(
    sessions: sessionmaker[Session],
    user: User,
    text: str,
    *,
    max_chars: int,
    age_group: str | None = None,
    sex: str | None = None,
    specialty: str | None = None,
    asker: str | None = None,
    origin: str = "typed",
    external_id: str | None = None,
    triage: Callable[[str], Triage] | None = None,
) -> Question:
    """Put a patient question in the inbox; red flags are found now, so the inbox can sort."""
    user = require(sessions, user, "add_question")
    text = check_query(text, max_chars)
    asked = PatientQuestion.create(text, age_group, sex, specialty)
    fields = {"age_group": asked.age_group, "sex": asked.sex, "specialty": asked.specialty}
    flags = [f.to_json() for f in detect_red_flags(text, triage)]
    with sessions.begin() as session:
        if external_id and (
            found := session.scalar(
                select(QuestionRow).where(QuestionRow.external_id == external_id)
            )
        ):
            return _question(found)
        row = QuestionRow(
            text=text,
            asker=(asker or "").strip() or None,
            origin=origin,
            external_id=external_id,
            red_flags=flags,
            created_by=user.username,
            **fields,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            user.username,
            "question.add",
            question_id=row.id,
            origin=origin,
            red_flags=[f["rule_id"] for f in flags],
        )
        return _question(row)


def find_questions(
    sessions: sessionmaker[Session],
    *,
    status: str | None = None,
    search: str | None = None,
    specialty: str | None = None,
    flagged_only: bool = False,
    limit: int = 500,
) -> list[Question]:
    """The inbox: the most urgent findings first (emergency, same day), then the longest waiting."""
    query = select(QuestionRow)
    if status:
        query = query.where(QuestionRow.status == status)
    if specialty:
        query = query.where(QuestionRow.specialty == normalize_specialty(specialty))
    if search and search.strip():
        like = f"%{search.strip()}%"
        query = query.where(or_(QuestionRow.text.ilike(like), QuestionRow.asker.ilike(like)))
    with sessions() as session:
        found = [_question(r) for r in session.scalars(query.order_by(QuestionRow.created_at))]
    if flagged_only:
        found = [q for q in found if q.red_flags]
    found.sort(key=lambda q: (q.urgency_rank, q.created_at))
    return found[:limit]


def get_question(sessions: sessionmaker[Session], question_id: int) -> Question:
    with sessions() as session:
        row = session.get(QuestionRow, question_id)
        if row is None:
            raise InputError(f"there is no question {question_id}")
        return _question(row)


def count_by_status(sessions: sessionmaker[Session]) -> dict[str, int]:
    return documents.count_by_status(sessions, QuestionRow.status, STATUSES)


def import_file(
    sessions: sessionmaker[Session], user: User, path: Path, *, max_chars: int
) -> tuple[int, list[str]]:
    """Add every question of a JSONL/CSV file (fields: question or text, age_group, sex,
    specialty, asker, id); a bad line is reported as `file:line: why` and the rest land."""
    before, problems = sum(count_by_status(sessions).values()), []
    for line, row in read_rows(path):
        if isinstance(row, ImportIssue):
            problems.append(str(row))
            continue
        try:
            add_question(
                sessions,
                user,
                str(row.get("question") or row.get("text") or ""),
                max_chars=max_chars,
                age_group=row.get("age_group"),
                sex=row.get("sex"),
                specialty=row.get("specialty"),
                asker=str(row["asker"]) if row.get("asker") is not None else None,
                origin="import",
                external_id=str(row["id"]) if row.get("id") is not None else None,
            )
        except InputError as exc:
            problems.append(str(ImportIssue(path, line, str(exc))))
    return sum(count_by_status(sessions).values()) - before, problems  # known ids are not re-added
