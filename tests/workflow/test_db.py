"""The workflow database, on SQLite and on PostgreSQL: migrations match the models, reopening keeps
data, the append-only audit log, openers starting together; SQLite's settings and lock retries,
and clear errors for a bad URL or a server that does not answer."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from drafter.core.errors import BackendUnavailableError, InputError, SettingsError
from drafter.services import Services
from drafter.workflow import audit
from drafter.workflow import database as db
from drafter.workflow.database import alembic_config, open_database
from drafter.workflow.doctor import Workflow
from drafter.workflow.tables import Base
from tests.conftest import MakeSettings, free_port
from tests.support.misbehaving import black_hole
from tests.support.postgres import postgres_bindir, running_postgres
from tests.support.workflow_kit import Desk, add_staff, ai_draft

TABLES = {"users", "questions", "draft_versions", "approvals", "ratings", "audit_log"}


def engine_of(workflow: Workflow) -> Engine:
    engine = workflow.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def test_a_new_database_is_at_the_alembic_head_and_matches_the_models(database_url: str) -> None:
    engine = engine_of(Workflow(open_database(database_url)))
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head is not None
        assert compare_metadata(context, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_a_new_sqlite_file_gets_its_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'new.db'}"
    Workflow(open_database(url)).questions()
    assert (tmp_path / "sub" / "new.db").is_file()


def test_reopening_a_database_keeps_its_data_and_does_not_migrate_again(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, "My ears ring after a concert.")
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(q.text))
    engine_of(desk.workflow).dispose()
    again = desk.reopen()
    assert [x.text for x in again.questions()] == ["My ears ring after a concert."]
    assert [v.number for v in again.versions(q.id)] == [1]
    assert again.login("doctor", "doctor-pass-1").display_name == "Dr. Ana Ruiz"
    with engine_of(again).connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite"])
def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path, scheme: str) -> None:
    workflow = Workflow(open_database(f"{scheme}:///{tmp_path / 'wal.db'}"))
    with engine_of(workflow).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with pytest.raises(IntegrityError):
            connection.execute(
                text(
                    "INSERT INTO draft_versions (question_id, number, kind, title, reply, "
                    "explainer, details, author, created_at) "
                    "VALUES (999, 1, 'ai', '', '', '', '{}', 'x', '2026-01-01')"
                )
            )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else'",
        "UPDATE audit_log SET detail = '{}' WHERE action = 'question.add'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_the_audit_log_is_append_only(desk: Desk, statement: str) -> None:
    """SQLite's triggers (0001, 0004) and PostgreSQL's (0005) refuse the change."""
    desk.workflow.add_question(desk.doctor, "Is a resting pulse of 52 too slow?")
    before = desk.workflow.audit()
    assert before
    with pytest.raises(IntegrityError, match="append-only"), engine_of(desk.workflow).begin() as c:
        c.execute(text(statement))
    assert desk.workflow.audit() == before
    desk.workflow.add_question(desk.doctor, "Another question, still logged.")
    assert len(desk.workflow.audit()) == len(before) + 1


def test_a_value_is_stored_alike_on_every_database(desk: Desk) -> None:
    """PostgreSQL keeps no NUL character in text and refuses a text longer than its column, where
    SQLite would keep both: on every database a NUL is dropped, and a value too long for its
    column is an InputError naming the field, with nothing saved."""
    q = desk.workflow.add_question(desk.doctor, "My knee\x00 hurts on stairs.", asker="Ann\x00")
    assert (q.text, q.asker) == ("My knee hurts on stairs.", "Ann")
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(q.text, reply="Hello\x00, rest it [1]."))
    again = desk.reopen()
    assert again.question(q.id).text == "My knee hurts on stairs."
    assert [v.reply for v in again.versions(q.id)] == ["Hello, rest it [1]."]
    audit.log(desk.workflow.sessions, "doctor\x00", "test\x00.nul", note="a\x00b")
    assert again.audit()[-1].actor == "doctor"
    with pytest.raises(InputError, match="the asker is 121 characters; the limit is 120"):
        desk.workflow.add_question(desk.doctor, "My knee hurts again.", asker="A" * 121)
    assert [x.id for x in again.questions()] == [q.id]
    assert again.verify_audit().intact


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "DRAFTER_DATABASE_URL"),
        ("nosuchdialect://host/db", "DRAFTER_DATABASE_URL"),
    ],
)
def test_a_bad_database_url_is_a_settings_error(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        open_database(url)


def test_a_postgresql_url_without_a_driver_uses_the_bundled_psycopg() -> None:
    engine = db.make_engine(f"postgresql://drafter@127.0.0.1:{free_port()}/drafter")
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")


def test_a_postgresql_server_that_does_not_answer_is_a_clear_error() -> None:
    url = f"postgresql+psycopg://drafter:s3cret@127.0.0.1:{free_port()}/drafter"
    with pytest.raises(BackendUnavailableError, match="cannot open the database") as raised:
        open_database(url)
    assert "s3cret" not in str(raised.value)


def test_the_default_database_is_a_file_in_the_data_folder(make_settings: MakeSettings) -> None:
    settings = make_settings()
    assert settings.db_url == f"sqlite:///{settings.data_dir / 'drafter.db'}"
    workflow = Services(settings).workflow()
    add_staff(workflow, {"doctor": ("doctor", "Dr. Ana Ruiz", "doctor-pass-1")})
    assert (settings.data_dir / "drafter.db").is_file()
    other = make_settings(database_url=f"sqlite:///{settings.data_dir / 'other.db'}")
    assert Services(other).workflow().users() == []
    assert [u.username for u in Services(settings).workflow().users()] == ["doctor", "kit-admin"]


def _open_after(url: str, start: Any, errors: Any) -> None:
    start.wait()
    try:
        Workflow(open_database(url)).questions()
    except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
        errors.put(repr(exc))


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_many_openers_of_a_new_database_all_succeed(database_url: str, how: str) -> None:
    """The app's sessions and a CLI started together on a new database: one migrates, the others
    wait for it (SQLite's write lock, PostgreSQL's advisory lock) and find the schema in place."""
    url = database_url
    openers = 4
    if how == "threads":
        start: Any = threading.Barrier(openers)
        errors: Any = queue.Queue()
        workers: list[Any] = [
            threading.Thread(target=_open_after, args=(url, start, errors)) for _ in range(openers)
        ]
    else:
        forked = multiprocessing.get_context("fork")
        start, errors = forked.Barrier(openers), forked.Queue()
        workers = [
            forked.Process(target=_open_after, args=(url, start, errors)) for _ in range(openers)
        ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
    engine = engine_of(Workflow(open_database(url)))
    with engine.connect() as connection:
        assert len(connection.execute(text("SELECT * FROM alembic_version")).all()) == 1


def _failing(message: str, times: int) -> Any:
    calls: list[int] = []

    def upgrade_once(engine: Engine) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception(message))

    upgrade_once.calls = calls  # type: ignore[attr-defined]
    return upgrade_once


def test_a_database_locked_at_once_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite can answer "database is locked" without waiting (another opener switching the new
    file to WAL): opening tries again instead of failing (seen in CI)."""
    flaky = _failing("database is locked", times=3)
    monkeypatch.setattr(db, "_upgrade_once", flaky)
    db.upgrade(db.make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    assert len(flaky.calls) == 4


def test_other_database_errors_and_a_lock_that_stays_fail_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    broken = _failing("disk I/O error", times=100)
    monkeypatch.setattr(db, "_upgrade_once", broken)
    with pytest.raises(BackendUnavailableError, match="disk I/O error"):
        db.upgrade(engine)
    assert len(broken.calls) == 1
    monkeypatch.setattr(db, "LOCKED_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(db, "_upgrade_once", _failing("database is locked", times=10**6))
    with pytest.raises(BackendUnavailableError, match="cannot open the database .*locked"):
        db.upgrade(engine)


def test_connecting_to_a_postgresql_server_that_never_answers_gives_up_at_the_timeout() -> None:
    with black_hole() as address:
        url = address.replace("http://", "postgresql+psycopg://drafter@") + "/drafter"
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="cannot open the database") as raised:
            open_database(url, connect_timeout=2)
    assert time.monotonic() - started < 8  # libpq counts whole seconds, per address tried
    assert raised.value.exit_code == 4


@pytest.mark.postgres
def test_a_workflow_outlives_a_restart_of_its_postgresql_server() -> None:
    """While the server is down every call is one clear error (exit code 4), not SQLAlchemy's
    OperationalError; once it is back the same Workflow (its pool's connections were all ended
    by the shutdown) carries on, and nothing saved before is lost."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    with running_postgres(bindir, free_port()) as server:
        workflow = Workflow(open_database(server.create_database("restarted")))
        doctor = add_staff(workflow, {"doc": ("doctor", "Dr. Doc", "doc-pass-123")})["doc"]
        kept = workflow.add_question(doctor, "My knee hurts after running. What should I do?")
        port = server.port

        server.stop()
        for call in (
            lambda: workflow.question(kept.id),
            lambda: workflow.add_question(doctor, "Is a cold a reason to stay home?"),
        ):
            with pytest.raises(BackendUnavailableError) as raised:
                call()
            message = str(raised.value)
            assert f"127.0.0.1:{port}" in message
            assert "does not answer (DRAFTER_DATABASE_URL)" in message
            assert raised.value.exit_code == 4

        server.start()
        assert server.port == port
        assert workflow.question(kept.id).text == kept.text
        again = workflow.add_question(doctor, "Is a cold a reason to stay home?")
        assert sorted(q.id for q in workflow.questions()) == [kept.id, again.id]
        assert workflow.verify_audit().intact
