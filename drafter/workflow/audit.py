"""The append-only audit log: who did what, when, with which model and prompt version. Each
event is chained to the one before by a hash (`audit_chain`), so `verify` finds a changed row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drafter.workflow import audit_chain
from drafter.workflow.tables import AuditRow


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    question_id: int | None
    version_id: int | None
    model: str | None
    prompt_version: str | None
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**vars(self), "at": self.at.isoformat(timespec="seconds") + "Z"}


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    question_id: int | None = None,
    version_id: int | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
    **detail: Any,
) -> None:
    """Add one event in the caller's transaction: it lands exactly when the action does, chained
    to the event before it (`audit_chain.append`)."""
    row = AuditRow(
        actor=actor,
        action=action,
        question_id=question_id,
        version_id=version_id,
        model=model,
        prompt_version=prompt_version,
        detail=detail,
    )
    audit_chain.append(session, row)


def log(sessions: sessionmaker[Session], actor: str, action: str, **detail: Any) -> None:
    """Add one event in a transaction of its own, for what is not a change of the database."""
    with sessions.begin() as session:
        record(session, actor, action, **detail)


def read(
    sessions: sessionmaker[Session],
    *,
    since: datetime | None = None,
    question_id: int | None = None,
) -> list[AuditEvent]:
    """The log, oldest first, from `since` and of one question if given."""
    with sessions() as session:
        return events(session, since=since, question_id=question_id)


def events(
    session: Session,
    *,
    since: datetime | None = None,
    question_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Events oldest first (the newest `limit` when limited)."""
    query = select(AuditRow).order_by(AuditRow.id.desc())
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if question_id is not None:
        query = query.where(AuditRow.question_id == question_id)
    if limit is not None:
        query = query.limit(limit)
    rows = list(session.scalars(query))[::-1]
    return [
        AuditEvent(
            r.id,
            r.at,
            r.actor,
            r.action,
            r.question_id,
            r.version_id,
            r.model,
            r.prompt_version,
            r.detail,
        )
        for r in rows
    ]
