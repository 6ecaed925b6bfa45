"""Versioned documents: one service behind a question's draft versions and a queued explainer's.

A document is an owner row (a question, a queued explainer) with numbered versions (see
`versions`). Both kinds are edited the same way: an edit names the version it was made from, saves
nothing when the text is unchanged, keeps the base's details, model and prompt version, and is
added as the next number (marked as a conflict when someone saved in between). Each new version
updates the owner's status and writes its audit event in the same transaction. Publishing the
approved text is recorded either way: a failure is an audit event and an error to show, not an
exception, as the approval stands and approving again retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from drafter.core.errors import InputError
from drafter.core.secrets import scrub
from drafter.workflow import audit
from drafter.workflow.accounts import User
from drafter.workflow.tables import ExplainerItemRow, ExplainerVersionRow, QuestionRow, VersionRow
from drafter.workflow.versions import Slot, add_next_version, inherited_details, save_version

Owner = TypeVar("Owner", QuestionRow, ExplainerItemRow)
Row = TypeVar("Row", VersionRow, ExplainerVersionRow)
Doc = TypeVar("Doc")  # the frozen dataclass a version row is read into
Sent = TypeVar("Sent")  # what a publisher returns


@dataclass(frozen=True)
class DocumentKind(Generic[Owner, Row, Doc]):
    """What differs between the kinds of versioned document; the rest is `Documents`."""

    label: str  # "question": names a document in messages, e.g. "question 3 has no version 2"
    missing: str  # the error for an unknown owner, with {id}
    owner_table: type[Owner]
    version_table: type[Row]
    owner_column: str  # the version table's column naming its owner
    text_fields: tuple[str, ...]  # what an edit changes
    edit_action: str  # the audit action of a saved edit
    published: str  # the audit action of a publish, and of one that failed
    publish_failed: str
    read: Callable[[Row], Doc]
    status_after_version: Callable[[str], str]  # the owner's status once a version is added
    audit_keys: Callable[[Owner, Row], dict[str, Any]]  # what each version's event names


@dataclass(frozen=True)
class Documents(Generic[Owner, Row, Doc]):
    """Reading, adding, editing and publishing the versions of one kind of document."""

    sessions: sessionmaker[Session]
    kind: DocumentKind[Owner, Row, Doc]

    def _owned_by(self, owner_id: int) -> ColumnElement[bool]:
        column: ColumnElement[bool] = getattr(self.kind.version_table, self.kind.owner_column)
        return column == owner_id

    def versions(self, owner_id: int) -> list[Doc]:
        """A document's versions in order of number."""
        return self.select(self._owned_by(owner_id))

    def select(self, where: ColumnElement[bool]) -> list[Doc]:
        """The versions `where` selects, each document's in order of number."""
        table = self.kind.version_table
        with self.sessions() as session:
            rows = session.scalars(select(table).where(where).order_by(table.number))
            return [self.kind.read(r) for r in rows]

    def edit(
        self,
        user: User,
        owner_id: int,
        *,
        base: int,
        texts: dict[str, str],
        audit_detail: dict[str, Any] | None = None,
    ) -> Doc:
        """Save `texts` as a new version made from version `base`; unchanged text saves nothing
        and returns the base. An unknown document, then an unknown base, is an InputError."""
        kind, table = self.kind, self.kind.version_table
        with self.sessions() as session:
            old = session.scalar(
                select(table).where(self._owned_by(owner_id), table.number == base)
            )
            if old is None:
                if session.get(kind.owner_table, owner_id) is None:
                    raise InputError(kind.missing.format(id=owner_id))
                raise InputError(f"{kind.label} {owner_id} has no version {base}")
        if all(getattr(old, name) == texts[name] for name in kind.text_fields):
            return kind.read(old)
        return self.add(
            user,
            owner_id,
            kind.edit_action,
            kind="edit",
            based_on=base,
            details={**inherited_details(old.details), "edited_from": base},
            model=old.model,
            prompt_version=old.prompt_version,
            instruction=None,
            audit_detail=audit_detail,
            **{name: texts[name] for name in kind.text_fields},
        )

    def add(
        self,
        user: User,
        owner_id: int,
        action: str,
        *,
        details: dict[str, Any],
        audit_detail: dict[str, Any] | None = None,
        **values: Any,
    ) -> Doc:
        """Insert version max+1 (see `versions`), update the owner's status and audit `action`,
        retrying while other writers take the number; a conflict raises EditConflictError
        after the version is saved."""
        kind = self.kind
        based_on = values.get("based_on")

        def write(session: Session) -> tuple[Doc, Slot]:
            owner = session.get(kind.owner_table, owner_id)
            if owner is None:
                raise InputError(kind.missing.format(id=owner_id))
            row, slot = add_next_version(
                session,
                kind.version_table,
                self._owned_by(owner_id),
                **{kind.owner_column: owner_id},
                author=user.username,
                details=details,
                **values,
            )
            status = kind.status_after_version(owner.status)
            if status != owner.status:
                owner.status = status
            session.flush()
            audit.record(
                session,
                user.username,
                slot.action(action),
                model=row.model,
                prompt_version=row.prompt_version,
                **kind.audit_keys(owner, row),
                number=slot.number,
                based_on=based_on,
                **(audit_detail or {}),
            )
            return kind.read(row), slot

        return save_version(self.sessions, write, what=f"{kind.label} {owner_id}")

    def publish(
        self,
        user: User,
        send: Callable[[], Sent],
        *,
        detail: dict[str, Any],
        result_key: str | None = None,
    ) -> tuple[Sent | None, str | None]:
        """Run `send` and audit the outcome with `detail` (and what it returned as
        `result_key`): (what it returned, None), or (None, the error) when it raised."""
        try:
            sent = send()
        except Exception as exc:  # noqa: BLE001 - any store failure is reported the same way
            error = scrub(str(exc)) or type(exc).__name__
            audit.log(self.sessions, user.username, self.kind.publish_failed, **detail, error=error)
            return None, error
        result = {result_key: sent} if result_key else {}
        audit.log(self.sessions, user.username, self.kind.published, **detail, **result)
        return sent, None


def count_by_status(
    sessions: sessionmaker[Session], status: InstrumentedAttribute[str], statuses: Sequence[str]
) -> dict[str, int]:
    """How many owners (questions, queued explainers) have each status, 0 where none has."""
    with sessions() as session:
        found = {s: n for s, n in session.execute(select(status, func.count()).group_by(status))}
    return {s: found.get(s, 0) for s in statuses}
