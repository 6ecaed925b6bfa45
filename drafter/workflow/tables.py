"""The workflow's tables. Alembic migrations in `drafter/migrations/` create and upgrade them.

Nothing here is ever updated in place except the status of a question or a queued explainer, a
user's password and the audit lock's counter: draft text lives in numbered versions, approvals,
ratings and the doctors' reviews of triage findings are new rows, the audit log is append-only and
hash-chained.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from drafter.core.errors import InputError


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def fit_every_database(row: Base) -> None:
    """Store a row the same on SQLite as on PostgreSQL: NUL characters, which PostgreSQL cannot
    keep in text, are dropped; a text longer than its column, which SQLite would keep and
    PostgreSQL refuses, is an InputError naming the field. Run before every insert and update,
    and by whoever hashes a row before it is added (the audit chain)."""
    for attribute in row.__mapper__.column_attrs:
        value = row.__dict__.get(attribute.key)  # loaded values only: no SQL during a flush
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            value = value.replace("\x00", "")
            setattr(row, attribute.key, value)
        limit = getattr(attribute.columns[0].type, "length", None)
        if limit is not None and len(value) > limit:
            field = attribute.key.replace("_", " ")
            raise InputError(f"the {field} is {len(value):,} characters; the limit is {limit:,}")


def _before_write(_mapper: Mapper[Any], _connection: Any, row: Base) -> None:
    fit_every_database(row)


for _hook in ("before_insert", "before_update"):
    event.listen(Base, _hook, _before_write, propagate=True)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionRow(Base):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    age_group: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(8))
    specialty: Mapped[str | None] = mapped_column(String(80))
    asker: Mapped[str | None] = mapped_column(String(120))
    origin: Mapped[str] = mapped_column(String(40), default="typed")
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    red_flags: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="question", order_by="VersionRow.number"
    )


class VersionRow(Base):
    """One state of a question's page: the AI's draft, a saved edit or a regeneration."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    based_on: Mapped[int | None]
    title: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    explainer: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(400))
    instruction: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[QuestionRow] = relationship(back_populates="versions")


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"))
    part: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    final_text: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingRow(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"))
    other_version_id: Mapped[int | None] = mapped_column(ForeignKey("draft_versions.id"))
    reviewer: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    question_id: Mapped[int | None]
    version_id: Mapped[int | None]
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The hash chain (`audit_chain`): SHA-256 hex of the row before, and of this row's fields
    # with that hash.
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditLockRow(Base):
    """One row, written first by every audit append, so that appends to the chain run one at a
    time: the write lock on SQLite, a row lock on PostgreSQL, held until the append commits."""

    __tablename__ = "audit_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken: Mapped[int] = mapped_column(default=0)


class ExplainerItemRow(Base):
    """A stored Q&A in the editors' More Info queue. One row per Q&A (`qa_id` is unique), so a
    rerun of `drafter explain` skips it; `status` is the only field changed in place."""

    __tablename__ = "explainer_items"
    __table_args__ = (Index("ix_explainer_items_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qa_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    doctor: Mapped[str | None] = mapped_column(String(120))
    specialty: Mapped[str | None] = mapped_column(String(80))
    age_group: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(8))
    asked_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExplainerVersionRow(Base):
    """One text of a queued explainer: the batch's, a regeneration or a saved edit."""

    __tablename__ = "explainer_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("explainer_items.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    based_on: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(400))
    instruction: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExplainerDecisionRow(Base):
    """An editor's approval or rejection (with its reason) of one version: append-only."""

    __tablename__ = "explainer_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("explainer_items.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("explainer_versions.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class FindingReviewRow(Base):
    """A doctor's verdict on one triage finding of a question (append-only: the newest row per
    category is the current verdict; the question's stored `red_flags` are never changed)."""

    __tablename__ = "finding_reviews"
    __table_args__ = (Index("ix_finding_reviews_question", "question_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    category: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
