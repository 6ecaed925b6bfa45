"""The audit log's hash chain: every row chained to the one before, a changed, removed, reordered
or back-dated row found at that row, an anchor kept elsewhere catching what the chain alone cannot,
writers in two processes chaining correctly, and databases of revision 0003 chained on upgrade."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.workflow import audit, audit_chain
from drafter.workflow import database as db
from drafter.workflow.audit_chain import CHAINED, GENESIS, Anchor, chain_hash
from drafter.workflow.doctor import Workflow
from drafter.workflow.tables import AuditRow, Base
from tests.support.workflow_kit import Desk, allow_audit_changes, migrated_to

HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def logged(desk: Desk) -> Desk:
    """The desk (its accounts' `user.add` events) with a few more events: at least 9 in all."""
    for text_ in ("My knee clicks on stairs.", "Is 38.2 a fever?", "My ears ring.", "A rash."):
        desk.workflow.add_question(desk.doctor, text_)
    assert len(desk.workflow.audit()) >= 9
    return desk


def owner_sql(desk: Desk, *statements: str) -> None:
    """Change the log as the database's owner can: drop the append-only triggers, then write."""
    with desk.workflow.sessions.begin() as session:
        allow_audit_changes(session)
        for statement in statements:
            session.execute(text(statement))


def rehash_from(desk: Desk, first: int) -> None:
    """Recompute every hash from row `first` on, as an owner who knows the algorithm can."""
    owner_sql(desk)
    with desk.workflow.sessions.begin() as session:
        rows = list(session.scalars(select(AuditRow).order_by(AuditRow.id)))
        for before, row in zip([None, *rows], rows, strict=False):
            if row.id >= first:
                row.prev_hash = GENESIS if before is None else before.row_hash
                row.row_hash = chain_hash(row, row.prev_hash)
                session.flush()


def row_ids(desk: Desk) -> list[int]:
    return [e.id for e in desk.workflow.audit()]


def test_an_untouched_log_verifies_and_names_its_last_row_and_hash(logged: Desk) -> None:
    events = logged.workflow.audit()
    report = logged.workflow.verify_audit()
    assert report.intact
    assert report.broken is None
    assert report.events == len(events)
    assert report.last_id == events[-1].id
    assert report.last_hash is not None
    assert HEX64.fullmatch(report.last_hash)
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert report.to_json()["intact"] is True


def test_each_row_hashes_its_fields_and_the_hash_before_it(logged: Desk) -> None:
    with logged.workflow.sessions() as session:
        rows = list(session.scalars(select(AuditRow).order_by(AuditRow.id)))
    assert rows[0].prev_hash == GENESIS
    for before, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == before.row_hash
        assert row.row_hash == chain_hash(row, before.row_hash)
    assert len({row.row_hash for row in rows}) == len(rows)


def test_an_empty_log_verifies(database_url: str) -> None:
    sessions = db.open_database(database_url)
    try:
        report = Workflow(sessions).verify_audit()
        assert (report.intact, report.events, report.last_id, report.last_hash) == (
            True,
            0,
            None,
            None,
        )
    finally:
        sessions.kw["bind"].dispose()


def test_an_edited_detail_is_found_at_that_row(logged: Desk) -> None:
    owner_sql(logged, """UPDATE audit_log SET detail = '{"chars": 1}' WHERE id = 7""")
    report = logged.workflow.verify_audit()
    assert report.broken is not None
    assert (report.broken.row_id, report.broken.problem) == (7, "edited")
    assert "does not match its contents" in report.broken.reason
    assert (report.events, report.last_id) == (6, 6)  # the rows before it are good


@pytest.mark.parametrize(
    "change",
    [
        "actor = 'someone else'",
        "action = 'question.nothing'",
        "question_id = 99",
        "model = 'gpt-x'",
        "prompt_version = 'v9'",
    ],
)
def test_every_field_is_covered(logged: Desk, change: str) -> None:
    owner_sql(logged, f"UPDATE audit_log SET {change} WHERE id = 8")
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (8, "edited")


def test_a_deleted_middle_row_is_found_at_the_row_after_it(logged: Desk) -> None:
    owner_sql(logged, "DELETE FROM audit_log WHERE id = 5")
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (6, "missing")
    assert "row 5 is missing" in broken.reason


def test_a_deleted_first_row_is_found(logged: Desk) -> None:
    owner_sql(logged, "DELETE FROM audit_log WHERE id = 1")
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (2, "missing")
    assert "does not start the chain" in broken.reason


def test_a_back_dated_row_is_found(logged: Desk) -> None:
    earlier = logged.workflow.audit()[4].at - timedelta(hours=3)
    owner_sql(logged, f"UPDATE audit_log SET at = '{earlier.isoformat(' ')}' WHERE id = 6")
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (6, "back-dated")
    assert "earlier than row 5's" in broken.reason


def test_a_back_dated_row_is_found_even_with_the_chain_rehashed_after_it(logged: Desk) -> None:
    earlier = logged.workflow.audit()[4].at - timedelta(hours=3)
    owner_sql(logged, f"UPDATE audit_log SET at = '{earlier.isoformat(' ')}' WHERE id = 6")
    rehash_from(logged, 6)
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (6, "back-dated")


def test_a_changed_row_hash_is_found_at_that_row(logged: Desk) -> None:
    owner_sql(logged, f"UPDATE audit_log SET row_hash = '{'ab' * 32}' WHERE id = 4")
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (4, "edited")


def test_a_row_edited_and_rehashed_is_found_at_the_row_after_it(logged: Desk) -> None:
    owner_sql(logged, "UPDATE audit_log SET actor = 'someone else' WHERE id = 4")
    with logged.workflow.sessions.begin() as session:
        row = session.get_one(AuditRow, 4)
        row.row_hash = chain_hash(row, row.prev_hash)
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (5, "missing")
    assert "does not match row 4's hash" in broken.reason


def test_two_rows_swapped_are_found(logged: Desk) -> None:
    """Reordering: rows 3 and 4 exchange everything but their ids and hashes."""
    fields = ("at", "actor", "action", "question_id", "version_id", "model", "prompt_version")
    owner_sql(logged)
    with logged.workflow.sessions.begin() as session:
        third, fourth = session.get_one(AuditRow, 3), session.get_one(AuditRow, 4)
        for name in (*fields, "detail"):
            a, b = getattr(third, name), getattr(fourth, name)
            setattr(third, name, b)
            setattr(fourth, name, a)
    broken = logged.workflow.verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (3, "edited")


def test_what_the_chain_alone_cannot_find_an_anchor_kept_elsewhere_does(logged: Desk) -> None:
    """Removing the newest rows, or rewriting the chain from a row on, leaves a chain that holds:
    only a row and hash recorded outside the database show it."""
    before = logged.workflow.verify_audit()
    assert before.last_id is not None
    assert before.last_hash is not None
    kept = Anchor(before.last_id, before.last_hash)
    owner_sql(logged, f"DELETE FROM audit_log WHERE id >= {before.last_id - 1}")
    assert logged.workflow.verify_audit().intact
    broken = logged.workflow.verify_audit(anchor=kept).broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (kept.id, "missing")

    logged.workflow.add_question(logged.doctor, "Refilled up to the old length and beyond.")
    logged.workflow.add_question(logged.doctor, "One more.")
    assert logged.workflow.verify_audit().intact
    broken = logged.workflow.verify_audit(anchor=kept).broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (kept.id, "edited")
    assert "not the one recorded" in broken.reason


def test_an_anchor_that_holds_verifies(logged: Desk) -> None:
    report = logged.workflow.verify_audit()
    assert report.last_id is not None
    assert report.last_hash is not None
    logged.workflow.add_question(logged.doctor, "Written after the anchor was kept.")
    anchored = logged.workflow.verify_audit(anchor=Anchor(report.last_id, report.last_hash))
    assert anchored.intact
    assert anchored.events == report.events + 1


@pytest.mark.parametrize("given", ["12", "12:abc", "x:" + "a" * 64, "12:" + "g" * 64, ""])
def test_a_malformed_anchor_is_refused(given: str) -> None:
    with pytest.raises(InputError, match="ROW:HASH"):
        Anchor.parse(given)


def test_an_anchor_is_read_as_printed() -> None:
    assert Anchor.parse(f" 12:{'AB' * 32} ") == Anchor(12, "ab" * 32)


def test_a_clock_stepped_back_does_not_back_date_the_next_row(
    logged: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = logged.workflow.audit()[-1]
    monkeypatch.setattr(audit_chain, "utcnow", lambda: last.at - timedelta(minutes=5))
    logged.workflow.add_question(logged.doctor, "Asked while the clock was wrong.")
    assert logged.workflow.audit()[-1].at == last.at
    assert logged.workflow.verify_audit().intact


def test_events_of_one_transaction_chain_one_after_another(logged: Desk) -> None:
    before = row_ids(logged)
    with logged.workflow.sessions.begin() as session:
        audit.record(session, "doctor", "test.first")
        audit.record(session, "doctor", "test.second", detail_key=(1, 2))
    assert row_ids(logged) == [*before, before[-1] + 1, before[-1] + 2]
    assert logged.workflow.verify_audit().intact


def test_a_rolled_back_event_leaves_no_gap(logged: Desk) -> None:
    before = row_ids(logged)
    with logged.workflow.sessions() as session:
        audit.record(session, "doctor", "test.undone")  # its action then fails
        session.rollback()
    audit.log(logged.workflow.sessions, "doctor", "test.done")
    assert row_ids(logged) == [*before, before[-1] + 1]
    assert logged.workflow.verify_audit().intact


# --- two processes appending at once ------------------------------------------------------------


def _append(url: str, start: Any, errors: Any, writer: str, count: int) -> None:
    """Append `count` events: each in its own transaction, or (every other one) in a transaction
    that read the log before writing, as the login throttle and the queue do."""
    sessions = db.open_database(url)
    try:
        start.wait()
        for n in range(count):
            if n % 2:
                audit.log(sessions, writer, "test.append", n=n)
            else:
                with sessions.begin() as session:
                    audit.events(session, limit=1)
                    audit.record(session, writer, "test.append", n=n)
    except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
        errors.put(repr(exc))
    finally:
        sessions.kw["bind"].dispose()


def test_two_processes_appending_at_once_keep_the_chain_intact(logged: Desk) -> None:
    before = logged.workflow.verify_audit().events
    forked = multiprocessing.get_context("fork")
    start, errors = forked.Barrier(2), forked.Queue()
    per_writer = 150
    writers = [
        forked.Process(target=_append, args=(logged.url, start, errors, name, per_writer))
        for name in ("one", "two")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    assert [w.exitcode for w in writers] == [0, 0]
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
    report = logged.workflow.verify_audit()
    assert report.intact, report.broken
    assert report.events == before + 2 * per_writer
    appended = [e for e in logged.workflow.audit() if e.action == "test.append"]
    for name in ("one", "two"):
        assert sorted(e.detail["n"] for e in appended if e.actor == name) == list(range(per_writer))


# --- databases from before the chain ------------------------------------------------------------

OLD_ROWS = [  # as revision 0003 wrote them; the third stamped before the second (two writers)
    ("2026-12-01 09:00:00.000001", "root", "user.add", None, '{"role": "admin"}'),
    ("2026-12-01 09:05:00.250000", "root", "question.add", 1, '{"chars": 40, "flags": []}'),
    ("2026-12-01 09:05:00.100000", "root", "login.failed", None, "{}"),
]


@pytest.fixture
def old_database(database_url: str) -> Iterator[Engine]:
    """A database at revision 0003 holding audit rows, with its engine."""
    engine = migrated_to(database_url, "0003")
    with engine.begin() as connection:
        for at, actor, action, question_id, detail in OLD_ROWS:
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, question_id, detail) "
                    "VALUES (:at, :actor, :action, :question_id, :detail)"
                ),
                {
                    "at": datetime.fromisoformat(at),
                    "actor": actor,
                    "action": action,
                    "question_id": question_id,
                    "detail": detail,
                },
            )
    yield engine
    engine.dispose()


def test_an_upgrade_from_0003_chains_the_rows_it_finds(old_database: Engine) -> None:
    db.upgrade(old_database)
    workflow = Workflow(sessionmaker(old_database))
    events = workflow.audit()
    assert [e.action for e in events] == ["user.add", "question.add", "login.failed", CHAINED]
    assert events[-1].detail == {"rows": 3, "revision": "0004"}
    assert events[-1].at >= datetime(2026, 12, 1, 9, 5)
    report = workflow.verify_audit()
    assert report.intact, report.broken  # the old rows out of time order are not back-dating
    assert report.events == 4
    with old_database.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_after_the_upgrade_appends_continue_the_chain_and_the_triggers_are_back(
    old_database: Engine,
) -> None:
    db.upgrade(old_database)
    sessions: sessionmaker[Session] = sessionmaker(old_database)
    audit.log(sessions, "root", "test.after_upgrade")
    workflow = Workflow(sessions)
    assert [e.id for e in workflow.audit()] == [1, 2, 3, 4, 5]
    assert workflow.verify_audit().intact
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(IntegrityError, match="append-only"), old_database.begin() as c:
            c.execute(text(statement))


def test_an_old_row_edited_after_the_upgrade_is_found(old_database: Engine) -> None:
    db.upgrade(old_database)
    with old_database.begin() as connection:
        allow_audit_changes(connection)
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    broken = Workflow(sessionmaker(old_database)).verify_audit().broken
    assert broken is not None
    assert (broken.row_id, broken.problem) == (2, "edited")


def test_an_empty_log_of_0003_gets_no_chained_event(database_url: str) -> None:
    engine = migrated_to(database_url, "0003")
    try:
        db.upgrade(engine)
        workflow = Workflow(sessionmaker(engine))
        assert workflow.audit() == []
        assert workflow.verify_audit().intact
    finally:
        engine.dispose()
