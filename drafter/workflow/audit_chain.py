"""The audit log's hash chain: each row's SHA-256 covers its fields and the hash of the row before
it, so `verify` finds the first row that was edited, removed, reordered or back-dated.

It proves nothing against whoever rewrites every hash from some row onwards or removes the newest
rows: only a hash recorded elsewhere (`Anchor`) catches that (docs/safety.md says what is covered).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.workflow.tables import AuditLockRow, AuditRow, fit_every_database, utcnow

GENESIS = "0" * 64  # the "row before" of the first row
# Appended by the upgrade that chained the rows written before the chain existed (migration 0004);
# those rows were stamped before taking a lock, so two of them may be out of time order.
CHAINED = "audit.chained"
Problem = Literal["edited", "missing", "back-dated"]


class Entry(Protocol):
    """The fields of an audit row that its hash covers."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def question_id(self) -> int | None: ...
    @property
    def version_id(self) -> int | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def prompt_version(self) -> str | None: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


def chain_hash(entry: Entry, prev_hash: str) -> str:
    """SHA-256 (hex) of the row's fields and the hash before it, as one canonical JSON array
    (the detail as the database gives it back, keys sorted), for writing and verifying alike."""
    detail = json.loads(json.dumps(dict(entry.detail)))  # tuples, int keys: as stored
    fields = [
        entry.id,
        entry.at.isoformat(timespec="microseconds"),
        entry.actor,
        entry.action,
        entry.question_id,
        entry.version_id,
        entry.model,
        entry.prompt_version,
        detail,
        prev_hash,
    ]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, row: AuditRow) -> None:
    """Chain `row` to the newest row and add it, in the caller's transaction. The lock is taken
    first, so the row before is read under it: no other append can come between the two, and
    the lock is held until the caller's transaction ends. The id is the next after the newest
    row's, the time never earlier than its."""
    # pysqlite begins SQLite's transaction only at the first write (`sessions.begin()` sends no
    # BEGIN), so a read before it is outside the transaction and another process could append
    # between that read and this insert: the lock row is written first, the newest row read after.
    taken = session.execute(
        update(AuditLockRow)
        .values(taken=AuditLockRow.taken + 1)
        .execution_options(synchronize_session=False)
    )
    if not cast("CursorResult[Any]", taken).rowcount:  # the lock row was removed: put it back
        session.add(AuditLockRow(id=1, taken=1))
        session.flush()
    last = session.execute(
        select(AuditRow.id, AuditRow.row_hash, AuditRow.at).order_by(AuditRow.id.desc()).limit(1)
    ).one_or_none()
    now = utcnow()
    # The id is given here, not drawn by the database, so ids are consecutive on any database.
    row.id, row.prev_hash, row.at = (
        (1, GENESIS, now) if last is None else (last.id + 1, last.row_hash, max(now, last.at))
    )
    fit_every_database(row)  # the hash covers the fields as they will be stored
    row.row_hash = chain_hash(row, row.prev_hash)
    session.add(row)
    session.flush()


@dataclass(frozen=True)
class Anchor:
    """A row's id and hash recorded outside the database: that row must still have that hash."""

    id: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """`ID:HASH`, as `drafter audit verify` prints them."""
        found = re.fullmatch(r"\s*(\d+):([0-9a-fA-F]{64})\s*", text)
        if found is None:
            raise InputError(f"--anchor {text!r} is not ROW:HASH (a row id, 64 hex digits)")
        return cls(int(found[1]), found[2].lower())


@dataclass(frozen=True)
class Break:
    """The first row that does not match the chain, and how."""

    row_id: int
    problem: Problem
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_id}: {self.problem}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: the rows checked (all of them when intact), the last good row."""

    events: int
    last_id: int | None
    last_hash: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def to_json(self) -> dict[str, Any]:
        broken = self.broken
        return {
            "intact": self.intact,
            "events": self.events,
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "broken": None if broken is None else asdict(broken),
        }


def verify(sessions: sessionmaker[Session], *, anchor: Anchor | None = None) -> ChainReport:
    """Check every row, oldest first, against its hash and the row before; stop at the first
    that does not match. With `anchor`, that row must also still hold the recorded hash."""
    with sessions() as session:
        chained = session.scalar(select(func.max(AuditRow.id)).where(AuditRow.action == CHAINED))
        rows = session.scalars(
            select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=1000)
        )
        count, last, anchored = 0, None, False
        for row in rows:
            broken = _check(row, last, in_time_order=chained is None or row.id > chained)
            if broken is None and anchor is not None and row.id == anchor.id:
                anchored = True
                if row.row_hash != anchor.hash:
                    broken = Break(
                        row.id,
                        "edited",
                        f"its hash is not the one recorded ({anchor.hash[:12]}…): the log was "
                        "rewritten from this row or one before it",
                    )
            if broken is not None:
                return _report(count, last, broken)
            count, last = count + 1, row
    if anchor is not None and not anchored:
        end = f"the log ends at row {last.id}" if last is not None else "the log is empty"
        reason = f"no such row, recorded with hash {anchor.hash[:12]}… ({end}): rows were removed"
        return _report(count, last, Break(anchor.id, "missing", reason))
    return _report(count, last, None)


def _report(count: int, last: AuditRow | None, broken: Break | None) -> ChainReport:
    if last is None:
        return ChainReport(count, None, None, broken)
    return ChainReport(count, last.id, last.row_hash, broken)


def _check(row: AuditRow, before: AuditRow | None, *, in_time_order: bool) -> Break | None:
    """How `row` fails to follow `before` (None: it is the first row), if it does."""
    if row.prev_hash != (GENESIS if before is None else before.row_hash):
        return Break(row.id, "missing", _missing(row, before))
    edited = chain_hash(row, row.prev_hash) != row.row_hash
    if before is not None and in_time_order and row.at < before.at:
        how = (
            "its hash does not match its contents" if edited else "its hash was recomputed to match"
        )
        return Break(
            row.id,
            "back-dated",
            f"its time {_time(row.at)} is earlier than row {before.id}'s {_time(before.at)}; {how}",
        )
    if edited:
        return Break(row.id, "edited", "its hash does not match its contents")
    return None


def _missing(row: AuditRow, before: AuditRow | None) -> str:
    if before is None:
        return "it does not start the chain: the rows before it were removed"
    if row.id == before.id + 2:
        return f"row {before.id + 1} is missing (deleted)"
    if row.id > before.id + 2:
        return f"rows {before.id + 1}-{row.id - 1} are missing (deleted)"
    return (
        f"its prev_hash does not match row {before.id}'s hash: rows were removed and renumbered "
        f"or reordered, or row {before.id} was changed and its hash recomputed"
    )


def _time(at: datetime) -> str:
    return at.isoformat(" ", "microseconds")
