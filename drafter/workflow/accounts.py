"""Local accounts: argon2-hashed passwords, four roles, and the one table of who may do what.

Every workflow action calls `require(db, user, action)` first, so a role is enforced in the
library whatever the caller (app, CLI, script) shows or hides. The `User` a caller hands in only
names the account: `require` re-reads it from the database and checks the stored role of an active
account, so a forged or stale `User` (a role changed or an account deactivated since it signed in)
is refused. The functions that take `sessions` open their own transaction (`Workflow` calls them);
the others work in the caller's session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.workflow import audit
from drafter.workflow.tables import UserRow

Role = Literal["doctor", "editor", "reviewer", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
Action = Literal[
    "add_question",
    "draft",
    "edit",
    "approve_reply",
    "approve_explainer",
    "review_finding",
    "generate_explainers",
    "rate",
    "manage_users",
]

# Who may do what. Reading (inbox, drafts, search, audit) is open to every signed-in role.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    "add_question": frozenset({"doctor", "editor", "admin"}),
    "draft": frozenset({"doctor", "editor"}),
    "edit": frozenset({"doctor", "editor"}),
    "approve_reply": frozenset({"doctor"}),
    "approve_explainer": frozenset({"editor"}),  # also edits the More Info queue
    "review_finding": frozenset({"doctor"}),  # confirm or dismiss a triage finding
    "generate_explainers": frozenset({"editor", "admin"}),  # `drafter explain` batches
    "rate": frozenset({"reviewer"}),
    "manage_users": frozenset({"admin"}),
}
DEMO_USERS: dict[Role, str] = {
    "doctor": "Dr. Demo Doctor",
    "editor": "Demo Editor",
    "reviewer": "Demo Reviewer",
    "admin": "Demo Admin",
}
MIN_PASSWORD = 8
SESSION_END = "session.end"  # the account's sign-in tokens issued before it are refused
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role

    def can(self, action: Action) -> bool:
        return self.role in PERMISSIONS[action]


def require(db: Session | sessionmaker[Session], user: User, action: Action) -> User:
    """The acting user as stored now, if that account is active and its stored role may do
    `action`; the role and name on the object passed in are never trusted."""
    if isinstance(db, Session):
        stored = _active(db, user.username)
    else:
        with db() as session:
            stored = _active(session, user.username)
    if stored is None:
        raise PermissionDeniedError(f"{user.username} is not an active account; sign in again")
    if not stored.can(action):
        allowed = ", ".join(sorted(PERMISSIONS[action]))
        raise PermissionDeniedError(
            f"{stored.username} ({stored.role}) may not {action.replace('_', ' ')}; "
            f"allowed roles: {allowed}"
        )
    return stored


def _active(session: Session, username: str) -> User | None:
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
    return user_of(row) if row is not None and row.active else None


def user_of(row: UserRow) -> User:
    """The account a row holds, as the library hands it around."""
    return User(row.username, row.display_name, row.role)  # type: ignore[arg-type]


def add_user(
    session: Session, username: str, password: str, role: str, display_name: str | None = None
) -> User:
    """Create an account. Raises InputError for a taken name, a bad role or a short password."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InputError(f"username {username!r}: use 2-64 of a-z, 0-9, '.', '_', '-'")
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must have at least {MIN_PASSWORD} characters")
    row = UserRow(
        username=username,
        display_name=(display_name or username).strip(),
        role=role,
        password_hash=_hasher.hash(password),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InputError(f"user {username!r} already exists") from None
    return user_of(row)


def authenticate(session: Session, username: str, password: str) -> User:
    """The user for a correct login; one message for every failure, so names are not probed."""
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
    try:
        if row is None or not row.active:
            _hasher.verify(_dummy_hash(), password)  # as slow as a real check: no name probing
            raise VerificationError
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise PermissionDeniedError("wrong username or password") from None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return user_of(row)


def get_user(session: Session, username: str) -> User | None:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    return user_of(row) if row else None


def list_users(session: Session) -> list[User]:
    return [user_of(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]


def create_user(
    sessions: sessionmaker[Session],
    actor: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
) -> User:
    """An admin adds an account, audited as that admin in the same transaction. With no actor,
    only the first account of an empty database, which must be an admin (audited as itself)."""
    with sessions.begin() as session:
        if actor is not None:
            actor = require(session, actor, "manage_users")
        elif session.scalar(select(UserRow.id).limit(1)) is not None:
            raise PermissionDeniedError("adding a user needs an admin's login")
        elif role != "admin":
            raise InputError(
                "the first account of a new database must be an admin (--role admin), "
                "who then adds the others"
            )
        user = add_user(session, username, password, role, display_name)
        detail: dict[str, Any] = {"username": user.username, "role": role}
        if actor is None:
            detail["first_account"] = True
        who = actor.username if actor is not None else user.username
        audit.record(session, who, "user.add", **detail)
    return user


def set_active(sessions: sessionmaker[Session], actor: User, username: str, active: bool) -> User:
    """An admin deactivates (or reactivates) an account: a deactivated one can neither sign in
    nor act with a session it already has."""
    with sessions.begin() as session:
        actor = require(session, actor, "manage_users")
        row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
        if row is None:
            raise InputError(f"there is no user {username!r}")
        if row.username == actor.username and not active:
            raise InputError("an admin cannot deactivate their own account")
        row.active = active
        if not active:  # its tokens stay refused if it is activated again
            end_sessions(session, row.username, by=actor.username)
        audit.record(
            session,
            actor.username,
            "user.activate" if active else "user.deactivate",
            username=row.username,
        )
        return user_of(row)


def end_sessions(session: Session, username: str, **detail: Any) -> None:
    """End every sign-in token of `username` issued until now (`drafter.workflow.sign_in`)."""
    audit.record(session, username, SESSION_END, **detail)


def users(sessions: sessionmaker[Session]) -> list[User]:
    with sessions() as session:
        return list_users(session)


def display_name(sessions: sessionmaker[Session], username: str) -> str:
    """The name to show for a username; the username itself when there is no such account."""
    with sessions() as session:
        user = get_user(session, username)
    return user.display_name if user else username


def demo_password(role: Role) -> str:
    return f"{role}-demo"


def has_demo_password(sessions: sessionmaker[Session], role: Role) -> bool:
    """Whether the demo login of `role` still works; not a login, so neither audited nor
    throttled (the login page asks on every visit)."""
    with sessions() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == role))
    if row is None or not row.active:
        return False
    try:
        return _hasher.verify(row.password_hash, demo_password(role))
    except (VerificationError, InvalidHashError):
        return False
