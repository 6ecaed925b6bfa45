"""The editors' More Info queue: explainers generated for stored Q&As wait here for review.

Each Q&A has at most one queue item (`qa_id` is unique), so a batch rerun skips what is done. Text
is never overwritten: the batch's explainer, each regeneration and each saved edit is a numbered
version; approvals and rejections are append-only decisions. Every change needs an editor
(`approve_explainer`) and writes its audit event in the same transaction. An approved explainer is
written into its Q&A in the knowledge base at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import BackendUnavailableError, InputError
from drafter.core.question import PatientQuestion
from drafter.core.records import QAPair, normalize_specialty
from drafter.drafting.draft import Draft
from drafter.workflow import audit
from drafter.workflow.accounts import User, require
from drafter.workflow.documents import DocumentKind, Documents, count_by_status
from drafter.workflow.tables import ExplainerDecisionRow, ExplainerItemRow, ExplainerVersionRow

Status = Literal["pending", "approved", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "approved", "rejected")
MAX_REASON_CHARS = 500

# qa_id -> approved text; raises when the knowledge base cannot take them.
ExplainerPublisher = Callable[[Mapping[str, str]], None]


@dataclass(frozen=True)
class ExplainerVersion:
    id: int
    item_id: int
    number: int
    kind: str
    based_on: int | None
    text: str
    details: dict[str, Any]
    model: str | None
    prompt_version: str | None
    instruction: str | None
    author: str
    created_at: datetime

    @property
    def problems(self) -> list[str]:
        return list(self.details.get("problems", []))


@dataclass(frozen=True)
class ExplainerItem:
    """A queued Q&A (as it was when its explainer was generated) and its newest version."""

    id: int
    qa_id: str
    title: str
    question: str
    answer: str
    doctor: str | None
    specialty: str | None
    age_group: str | None
    sex: str | None
    asked_date: date | None
    status: str
    created_by: str
    created_at: datetime
    latest: ExplainerVersion

    def patient_question(self) -> PatientQuestion:
        return PatientQuestion.of(self)


@dataclass(frozen=True)
class ExplainerDecision:
    id: int
    item_id: int
    version_number: int
    decision: str
    reason: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class Approval:
    """What approving did: the (item, version) pairs, and whether the knowledge base took them."""

    approved: list[tuple[int, int]]
    published: list[str]
    publish_error: str | None = None


def _version(row: ExplainerVersionRow) -> ExplainerVersion:
    return ExplainerVersion(**{f.name: getattr(row, f.name) for f in fields(ExplainerVersion)})


def _item(row: ExplainerItemRow, latest: ExplainerVersionRow) -> ExplainerItem:
    names = [f.name for f in fields(ExplainerItem) if f.name != "latest"]
    return ExplainerItem(**{name: getattr(row, name) for name in names}, latest=_version(latest))


def _details(draft: Draft) -> dict[str, Any]:
    """What the queue keeps of a draft besides its text: checks, sources, provenance."""
    skip = {"title", "reply", "explainer", "question", "similar_qa", "related_faq"}
    return {k: v for k, v in draft.to_json().items() if k not in skip}


def _latest_versions() -> Any:
    newest = (
        select(ExplainerVersionRow.item_id, func.max(ExplainerVersionRow.number).label("number"))
        .group_by(ExplainerVersionRow.item_id)
        .subquery()
    )
    return (
        select(ExplainerItemRow, ExplainerVersionRow)
        .join(newest, newest.c.item_id == ExplainerItemRow.id)
        .join(
            ExplainerVersionRow,
            (ExplainerVersionRow.item_id == newest.c.item_id)
            & (ExplainerVersionRow.number == newest.c.number),
        )
    )


EXPLAINERS: DocumentKind[ExplainerItemRow, ExplainerVersionRow, ExplainerVersion] = DocumentKind(
    label="explainer",
    missing="there is no explainer {id} in the queue",
    owner_table=ExplainerItemRow,
    version_table=ExplainerVersionRow,
    owner_column="item_id",
    text_fields=("text",),
    edit_action="explainer.edit",
    published="explainer.publish",
    publish_failed="explainer.publish_failed",
    read=_version,
    status_after_version=lambda _status: "pending",  # a new text needs a new decision
    audit_keys=lambda item, _row: {"qa_id": item.qa_id, "item_id": item.id},
)


@dataclass
class ExplainerQueue:
    sessions: sessionmaker[Session]
    publisher: ExplainerPublisher | None = None

    @property
    def _documents(self) -> Documents[ExplainerItemRow, ExplainerVersionRow, ExplainerVersion]:
        return Documents(self.sessions, EXPLAINERS)

    # --- the batch's side -----------------------------------------------------------------------

    def done_ids(self, qa_ids: Iterable[str]) -> set[str]:
        """Which of these Q&As are already in the queue (whatever their status)."""
        wanted, found = list(qa_ids), set[str]()
        with self.sessions() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(
                    session.scalars(
                        select(ExplainerItemRow.qa_id).where(ExplainerItemRow.qa_id.in_(chunk))
                    )
                )
        return found

    def add_generated(self, user: User, qa: QAPair, draft: Draft) -> ExplainerItem | None:
        """Queue a Q&A with its generated explainer and the audit event, in one transaction.
        None when the Q&A is queued already (another run got there first): never twice."""
        user = require(self.sessions, user, "generate_explainers")
        try:
            with self.sessions.begin() as session:
                row = ExplainerItemRow(
                    qa_id=qa.id,
                    title=qa.title,
                    question=qa.question,
                    answer=qa.answer,
                    doctor=qa.doctor,
                    specialty=qa.specialty,
                    age_group=qa.age_group,
                    sex=qa.sex,
                    asked_date=qa.asked_date,
                    created_by=user.username,
                )
                session.add(row)
                session.flush()
                version = ExplainerVersionRow(
                    item_id=row.id,
                    number=1,
                    kind="ai",
                    text=draft.explainer,
                    details=_details(draft),
                    model=draft.model,
                    prompt_version=draft.prompt_versions.get("explainer"),
                    author=user.username,
                )
                session.add(version)
                session.flush()
                audit.record(
                    session,
                    user.username,
                    "explainer.generate",
                    model=draft.model,
                    prompt_version=version.prompt_version,
                    qa_id=qa.id,
                    item_id=row.id,
                    status=draft.status,
                )
                return _item(row, version)
        except IntegrityError:
            return None

    def record(self, user: User, action: str, **detail: Any) -> None:
        """An audit event of the batch itself: its start, its end, a failed item."""
        audit.log(self.sessions, user.username, action, **detail)

    # --- reading --------------------------------------------------------------------------------

    def items(
        self,
        *,
        status: str | None = None,
        specialty: str | None = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> list[ExplainerItem]:
        """Queued items, oldest first, each with its newest version."""
        query = _latest_versions().order_by(ExplainerItemRow.id)
        if status:
            query = query.where(ExplainerItemRow.status == status)
        if specialty:
            query = query.where(ExplainerItemRow.specialty == normalize_specialty(specialty))
        if search and search.strip():
            like = f"%{search.strip()}%"
            query = query.where(
                or_(
                    ExplainerItemRow.title.ilike(like),
                    ExplainerItemRow.question.ilike(like),
                    ExplainerItemRow.qa_id.ilike(like),
                )
            )
        if limit is not None:
            query = query.limit(limit)
        with self.sessions() as session:
            return [_item(row, version) for row, version in session.execute(query)]

    def item(self, item_id: int) -> ExplainerItem:
        with self.sessions() as session:
            found = session.execute(
                _latest_versions().where(ExplainerItemRow.id == item_id)
            ).first()
        if found is None:
            raise InputError(f"there is no explainer {item_id} in the queue")
        return _item(*found)

    def versions(self, item_id: int) -> list[ExplainerVersion]:
        return self._documents.versions(item_id)

    def decisions(self, item_id: int) -> list[ExplainerDecision]:
        with self.sessions() as session:
            rows = session.execute(
                select(ExplainerDecisionRow, ExplainerVersionRow.number)
                .join(
                    ExplainerVersionRow, ExplainerDecisionRow.version_id == ExplainerVersionRow.id
                )
                .where(ExplainerDecisionRow.item_id == item_id)
                .order_by(ExplainerDecisionRow.id)
            )
            return [
                ExplainerDecision(
                    d.id, d.item_id, number, d.decision, d.reason, d.decided_by, d.decided_at
                )
                for d, number in rows
            ]

    def counts(self) -> dict[str, int]:
        return count_by_status(self.sessions, ExplainerItemRow.status, STATUSES)

    # --- the editor's actions -------------------------------------------------------------------

    def edit(self, user: User, item_id: int, text: str, *, base: int) -> ExplainerVersion:
        """Save the editor's text as a new version made from version `base` (unchanged text
        saves nothing). If someone saved after `base`, the edit is kept all the same and
        EditConflictError says who changed it meanwhile."""
        user = require(self.sessions, user, "approve_explainer")
        return self._documents.edit(user, item_id, base=base, texts={"text": text})

    def add_regenerated(self, user: User, item_id: int, draft: Draft) -> ExplainerVersion:
        """Keep a regenerated explainer as a new version. A draft the model did not finish is
        refused: the current text stays the newest."""
        user = require(self.sessions, user, "approve_explainer")
        if draft.error or not draft.explainer.strip():
            raise BackendUnavailableError(
                f"the model did not finish ({draft.error or 'it wrote nothing'}); "
                "the explainer is unchanged"
            )
        return self._documents.add(
            user,
            item_id,
            "explainer.regenerate",
            kind="regenerate",
            based_on=None,
            text=draft.explainer,
            details=_details(draft),
            model=draft.model,
            prompt_version=draft.prompt_versions.get("explainer"),
            instruction=draft.instruction,
        )

    def approve(self, user: User, item_id: int, *, version: int | None = None) -> Approval:
        """Approve one item's version (default: the newest) and publish it."""
        return self.approve_many(user, {item_id: version})

    def approve_many(self, user: User, read: Mapping[int, int | None]) -> Approval:
        """Approve items after reading them: `read` maps each item to the version the editor
        read (None: the newest). A version that is no longer the newest is refused, as nothing
        is approved unread; all are approved in one transaction, then published together."""
        user = require(self.sessions, user, "approve_explainer")
        if not read:
            raise InputError("choose at least one explainer to approve")
        approved, texts = [], {}
        with self.sessions.begin() as session:
            for item_id, wanted in read.items():
                item, newest = self._read(session, item_id, wanted)
                if not newest.text.strip():
                    raise InputError(f"explainer {item_id} is empty: nothing to approve")
                session.add(
                    ExplainerDecisionRow(
                        item_id=item_id,
                        version_id=newest.id,
                        decision="approved",
                        decided_by=user.username,
                    )
                )
                item.status = "approved"
                audit.record(
                    session,
                    user.username,
                    "explainer.approve",
                    model=newest.model,
                    prompt_version=newest.prompt_version,
                    qa_id=item.qa_id,
                    item_id=item_id,
                    number=newest.number,
                    edited=newest.kind == "edit",
                )
                approved.append((item_id, newest.number))
                texts[item.qa_id] = newest.text.strip()
        return self._publish(user, approved, texts)

    @staticmethod
    def _read(
        session: Session, item_id: int, wanted: int | None
    ) -> tuple[ExplainerItemRow, ExplainerVersionRow]:
        """The item and its newest version, which must be the one the editor read (if named)."""
        item = session.get(ExplainerItemRow, item_id)
        newest = session.scalar(
            select(ExplainerVersionRow)
            .where(ExplainerVersionRow.item_id == item_id)
            .order_by(ExplainerVersionRow.number.desc())
            .limit(1)
        )
        if item is None or newest is None:
            raise InputError(f"there is no explainer {item_id} in the queue")
        if wanted is not None and wanted != newest.number:
            raise InputError(
                f"explainer {item_id} changed since you read it: version {newest.number} is "
                f"newer than {wanted}; read it again"
            )
        return item, newest

    def _publish(
        self, user: User, approved: list[tuple[int, int]], texts: dict[str, str]
    ) -> Approval:
        """A failure is recorded, not raised: the approval stands; approving again retries."""
        publisher = self.publisher
        if publisher is None:
            return Approval(approved, [])
        _, error = self._documents.publish(
            user, lambda: publisher(texts), detail={"qa_ids": sorted(texts)}
        )
        if error is not None:
            return Approval(approved, [], error)
        return Approval(approved, sorted(texts))

    def reject(
        self, user: User, item_id: int, reason: str, *, version: int | None = None
    ) -> ExplainerDecision:
        """Reject the newest version (the one read, if named) with a reason; the item leaves
        the pending list until a new version (an edit or a regeneration) sends it back."""
        user = require(self.sessions, user, "approve_explainer")
        reason = " ".join((reason or "").split())
        if not reason:
            raise InputError("give a reason for rejecting, e.g. 'contradicts the doctor's answer'")
        if len(reason) > MAX_REASON_CHARS:
            raise InputError(
                f"the reason is {len(reason)} characters; the limit is {MAX_REASON_CHARS}"
            )
        with self.sessions.begin() as session:
            item, newest = self._read(session, item_id, version)
            row = ExplainerDecisionRow(
                item_id=item_id,
                version_id=newest.id,
                decision="rejected",
                reason=reason,
                decided_by=user.username,
            )
            session.add(row)
            item.status = "rejected"
            session.flush()
            audit.record(
                session,
                user.username,
                "explainer.reject",
                qa_id=item.qa_id,
                item_id=item_id,
                number=newest.number,
                reason=reason,
            )
            return ExplainerDecision(
                row.id, item_id, newest.number, "rejected", reason, user.username, row.decided_at
            )
