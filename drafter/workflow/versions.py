"""Numbered versions, shared by a question's draft versions and a queued explainer's versions.

A new version takes the number after the newest one; two writers racing for that number collide on
the table's unique (owner, number) key and the loser counts again. A version saved from a base
that is no longer the newest is kept all the same, marked `conflict_with` the newest, and the
writer is told who saved in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import EditConflictError, InputError
from drafter.workflow import accounts
from drafter.workflow.tables import ExplainerVersionRow, VersionRow

SAVE_ATTEMPTS = 100  # a failed attempt means another writer's version landed: progress
# What an edit does not take over from its base: the model's verdict and a past conflict.
NOT_INHERITED = frozenset({"status", "problems", "error", "conflict_with"})

Row = TypeVar("Row", VersionRow, ExplainerVersionRow)
Saved = TypeVar("Saved")


def inherited_details(details: dict[str, Any]) -> dict[str, Any]:
    """What an edit keeps of its base version's details."""
    return {k: v for k, v in details.items() if k not in NOT_INHERITED}


@dataclass(frozen=True)
class Slot:
    """Where a new version goes: its number, the details to save it with (`conflict_with` added
    on a conflict) and, on a conflict, the newest version and who saved it."""

    number: int
    details: dict[str, Any]
    conflict_with: int | None = None
    meanwhile: str = ""

    def action(self, action: str) -> str:
        """The audit action, marked `.conflict` when the version was saved over a newer one."""
        return action + (".conflict" if self.conflict_with is not None else "")


def add_next_version(
    session: Session,
    table: type[Row],
    owner: ColumnElement[bool],
    *,
    details: dict[str, Any],
    based_on: int | None = None,
    **values: Any,
) -> tuple[Row, Slot]:
    """Add a row of `table` numbered after the newest version that `owner` selects. A
    `based_on` other than the newest version is a conflict (None: not an edit, never one)."""
    slot = _next_slot(session, table, owner, based_on, details)
    row = table(number=slot.number, based_on=based_on, details=slot.details, **values)
    session.add(row)
    return row, slot


def _next_slot(
    session: Session,
    table: type[Row],
    owner: ColumnElement[bool],
    based_on: int | None,
    details: dict[str, Any],
) -> Slot:
    latest = session.scalar(select(table).where(owner).order_by(table.number.desc()).limit(1))
    if latest is None:
        return Slot(1, details)
    if based_on is None or based_on == latest.number:
        return Slot(latest.number + 1, details)
    who = accounts.get_user(session, latest.author)
    return Slot(
        latest.number + 1,
        {**details, "conflict_with": latest.number},
        latest.number,
        who.display_name if who else latest.author,
    )


def save_version(
    sessions: sessionmaker[Session],
    write: Callable[[Session], tuple[Saved, Slot]],
    *,
    what: str,
) -> Saved:
    """Run `write` (which adds a version with `add_next_version`) in a transaction of its own,
    again while another writer takes the number first. A version saved in conflict is
    committed, then EditConflictError names who saved in between."""
    for _ in range(SAVE_ATTEMPTS):
        try:
            with sessions.begin() as session:
                saved, slot = write(session)
        except IntegrityError:
            continue  # someone took this number first: recount and try again
        if slot.conflict_with is not None:
            raise EditConflictError(
                f"changed by {slot.meanwhile} since you opened it (version {slot.conflict_with}); "
                f"your edit is kept as version {slot.number}",
                saved_as=slot.number,
                latest=slot.conflict_with,
            )
        return saved
    raise InputError(f"could not save a version of {what}: too many writers")
