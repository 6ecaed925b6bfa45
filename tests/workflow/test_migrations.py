"""The migrations on SQLite and on PostgreSQL: an empty database runs them to head and gets the
triggers that keep the audit log append-only; one at the previous revision keeps its rows, its
accounts and its audit chain through the upgrade, and is append-only after it."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from drafter.workflow import database as db
from drafter.workflow.doctor import Workflow
from drafter.workflow.tables import Base
from tests.support.workflow_kit import add_staff, migrated_to

SCRIPTS = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
HEAD = SCRIPTS.get_current_head()
PREVIOUS = SCRIPTS.get_revision(HEAD).down_revision if HEAD else None
# The append-only triggers of each database at head: SQLite's per verb (0001, 0003, 0004),
# PostgreSQL's per table (0005).
GUARDS = {
    "sqlite": {
        "audit_log_no_update",
        "audit_log_no_delete",
        "finding_reviews_no_update",
        "finding_reviews_no_delete",
    },
    "postgresql": {"audit_log_append_only", "finding_reviews_append_only"},
}
CHANGES = ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log WHERE id = 1"]


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def guards(engine: Engine) -> set[str]:
    """The names of the triggers on the database's tables."""
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }[engine.dialect.name]
    with engine.connect() as connection:
        return set(connection.execute(text(query)).scalars())


def test_an_empty_database_migrates_to_head_with_its_append_only_guards(database_url: str) -> None:
    sessions = db.open_database(database_url)
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    try:
        assert revision(engine) == HEAD is not None
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert guards(engine) == GUARDS[engine.dialect.name]
        add_staff(Workflow(sessions), {"admin": ("admin", "Sam Admin", "admin-pass-1")})
        for statement in CHANGES:
            with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        assert [e.action for e in Workflow(sessions).audit()] == ["user.add"]
    finally:
        engine.dispose()


def test_a_database_at_the_previous_revision_keeps_its_rows_through_the_upgrade(
    database_url: str,
) -> None:
    assert PREVIOUS is not None
    engine = migrated_to(database_url, str(PREVIOUS))
    try:
        old = Workflow(sessionmaker(engine))  # the tables are those of head: only triggers differ
        staff = add_staff(old, {"admin": ("admin", "Sam Admin", "admin-pass-1")})
        asked = old.add_question(staff["admin"], "Is a resting pulse of 52 too slow?")
        before = old.audit()
        assert [e.action for e in before] == ["user.add", "question.add"]

        db.upgrade(engine)
        assert revision(engine) == HEAD
        assert guards(engine) == GUARDS[engine.dialect.name]
        new = Workflow(sessionmaker(engine))
        assert [q.text for q in new.questions()] == [asked.text]
        assert new.login("admin", "admin-pass-1").display_name == "Sam Admin"
        assert new.audit() == before
        for statement in CHANGES:
            with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        new.add_question(staff["admin"], "And a second one after the upgrade.")
        assert [e.id for e in new.audit()] == [1, 2, 3]
        report = new.verify_audit()
        assert (report.intact, report.events) == (True, 3)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_the_guards_go_with_a_downgrade_and_come_back(database_url: str) -> None:
    assert PREVIOUS is not None
    engine = migrated_to(database_url, "head")
    try:
        with engine.begin() as connection:
            config = db.alembic_config(database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, str(PREVIOUS))
        at_previous = {"sqlite": GUARDS["sqlite"], "postgresql": set()}
        assert guards(engine) == at_previous[engine.dialect.name]
        db.upgrade(engine)
        assert guards(engine) == GUARDS[engine.dialect.name]
    finally:
        engine.dispose()
