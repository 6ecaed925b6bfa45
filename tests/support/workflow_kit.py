"""Helpers for the workflow tests: a database with one user of each role (and a second editor),
built once per session and copied per test, since argon2 hashes each password in about 0.3 s (on
SQLite or PostgreSQL, `tests.support.postgres.Databases`); a triage with fixed findings for tests
of what happens to them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.triage.categories import categories
from drafter.triage.findings import Finding, Triage
from drafter.workflow.accounts import User
from drafter.workflow.database import alembic_config, make_engine, open_database
from drafter.workflow.doctor import Publisher, Question, Version, Workflow
from tests.support.postgres import Databases

# username -> (role, display name, password)
STAFF: dict[str, tuple[str, str, str]] = {
    "doctor": ("doctor", "Dr. Ana Ruiz", "doctor-pass-1"),
    "editor": ("editor", "Elena Marsh", "editor-pass-1"),
    "editor2": ("editor", "Tom Berger", "editor-pass-2"),
    "reviewer": ("reviewer", "Rita Okafor", "reviewer-pass-1"),
    "admin": ("admin", "Sam Admin", "admin-pass-1"),
}
QUESTION = (
    "I started running three months ago and now the inside of both shins aches on every run. "
    "Should I stop running?"
)
PROMPTS = {"title": "title@v1#aaaa", "reply": "short_reply@v2#bbbb", "explainer": "explainer@v2#cc"}


@dataclass
class Desk:
    """A workflow on a private database (a SQLite file or a PostgreSQL database), and its users by
    username."""

    workflow: Workflow
    url: str
    users: dict[str, User]

    def reopen(self, publisher: Publisher | None = None) -> Workflow:
        """Another Workflow on the same database, as a second app process or the CLI would open
        it."""
        return Workflow(open_database(self.url), publisher=publisher)

    @property
    def doctor(self) -> User:
        return self.users["doctor"]

    @property
    def editor(self) -> User:
        return self.users["editor"]

    @property
    def reviewer(self) -> User:
        return self.users["reviewer"]

    @property
    def admin(self) -> User:
        return self.users["admin"]


def _staffed(url: str) -> None:
    sessions = open_database(url)
    add_staff(Workflow(sessions), STAFF)
    sessions.kw["bind"].dispose()  # SQLite: the last connection checkpoints the WAL into the file


def add_staff(workflow: Workflow, staff: dict[str, tuple[str, str, str]]) -> dict[str, User]:
    """Accounts (username -> role, display name, password) in an empty database: its admin first,
    as the first account may be created without a login, then the others added by that admin
    (a `kit-admin` when `staff` has none)."""
    admins = [u for u, (role, _, _) in staff.items() if role == "admin"] or ["kit-admin"]
    role, name, password = staff.get(admins[0], ("admin", "Kit Admin", "kit-admin-pass"))
    admin = workflow.add_user(None, admins[0], password, role, name)
    added = {admin.username: admin}
    for username, (role, name, password) in staff.items():
        if username != admin.username:
            added[username] = workflow.add_user(admin, username, password, role, name)
    return added


def make_desk(
    factory: pytest.TempPathFactory,
    folder: Path,
    publisher: Publisher | None = None,
    databases: Databases | None = None,
) -> Desk:
    """A desk on a copy of the staffed database: a SQLite file in `folder` unless `databases`
    says otherwise."""
    databases = databases or Databases("sqlite", folder, factory)
    url = databases.copy_of("workflow_staff", _staffed)
    workflow = Workflow(open_database(url), publisher=publisher)
    users = {u.username: u for u in workflow.users()}
    return Desk(workflow, url, users)


def allow_audit_changes(db: Session | Connection) -> None:
    """Do what the database's owner can: drop the triggers that keep the audit log append-only
    (SQLite's two of migrations 0001/0004, PostgreSQL's one of 0005), in `db`'s transaction."""
    bind = db.get_bind() if isinstance(db, Session) else db
    if bind.dialect.name == "sqlite":
        db.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        db.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
    else:
        db.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))


def migrated_to(url: str, revision: str) -> Engine:
    """An engine on the database at `url`, migrated to `revision` only (as an older Drafter left
    it), for tests of the upgrade from there."""
    engine = make_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return engine


def ai_draft(
    text: str = QUESTION,
    *,
    title: str = "Shin Pain After Starting to Run: Causes and Care",
    reply: str = "Hello, aching along the inner shins is most often shin splints [1].",
    explainer: str = "## Causes\nShin splints come from doing too much too soon [1].",
    error: str | None = None,
) -> Draft:
    """A draft as the pipeline returns it, with its provenance (no model is run)."""
    return Draft(
        PatientQuestion(text, "30-39", "female", "Orthopedics"),
        title=title,
        reply=reply,
        explainer=explainer,
        model="fake:scripted",
        prompt_versions=dict(PROMPTS),
        error=error,
    )


def drafted(desk: Desk, text: str = QUESTION, **kw: Any) -> tuple[Question, Version]:
    """A question with the AI's first draft saved as version 1."""
    q = desk.workflow.add_question(desk.doctor, text, age_group="30-39", sex="female", **kw)
    return q, desk.workflow.save_draft(desk.doctor, q.id, ai_draft(text))


def actions(workflow: Workflow, **kw: Any) -> list[str]:
    return [e.action for e in workflow.audit(**kw)]


def fixed_triage(question: str) -> Triage:
    """Two findings at known words, whatever the lexicon of the day finds."""
    found = []
    for category, words in (("chest_pain", "crushing chest pain"), ("breathing", "cannot breathe")):
        if words in question:
            start = question.index(words)
            found.append(
                Finding.of(
                    categories()[category],
                    question,
                    [(start, start + len(words))],
                    confidence=0.9,
                    layer="lexicon",
                )
            )
    return Triage(tuple(found))
