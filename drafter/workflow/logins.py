"""Signing in: a correct login returns the stored user; every failed one is audited
(`login.failed`, never the password) and a username with too many recent failures is refused
for a while, whether or not the account exists (so the refusal tells nothing about names).

The failures are read back from the audit log itself, so every process (app, CLI) sees the same
count and nothing new is stored. `now` is injectable: tests move the clock instead of waiting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import PermissionDeniedError
from drafter.workflow import audit
from drafter.workflow.accounts import User, authenticate
from drafter.workflow.tables import AuditRow, utcnow

FAILED = "login.failed"  # a wrong username or password
LOCKED = "login.locked"  # refused unchecked while throttled; not counted as a failure


@dataclass(frozen=True)
class Throttle:
    """At most `failures` failed logins of one username within `window`, then refusal until
    the oldest of them is older than `window`."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def login(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    *,
    throttle: Throttle = Throttle(),
    now: Callable[[], datetime] = utcnow,
) -> User:
    """The stored user for a correct login; PermissionDeniedError for a wrong one or while the
    username is throttled (then the password is not even checked)."""
    name = _actor(username)
    at = now()
    until = locked_until(sessions, name, throttle, at)
    if until is not None:
        audit.log(sessions, name, LOCKED)
        minutes = max(1, math.ceil((until - at).total_seconds() / 60))
        raise PermissionDeniedError(
            f"too many failed logins for {name!r}: try again in {minutes} minute"
            + ("s" if minutes > 1 else "")
        )
    try:
        with sessions.begin() as session:  # a login may upgrade the stored hash
            return authenticate(session, username, password)
    except PermissionDeniedError:
        audit.log(sessions, name, FAILED)
        raise


def locked_until(
    sessions: sessionmaker[Session], username: str, throttle: Throttle, at: datetime
) -> datetime | None:
    """When `username` may try again, if its recent failures have reached the limit."""
    query = (
        select(AuditRow.at)
        .where(AuditRow.action == FAILED, AuditRow.actor == username)
        .where(AuditRow.at > at - throttle.window)
        .order_by(AuditRow.at.desc())
        .limit(throttle.failures)
    )
    with sessions() as session:
        recent = list(session.scalars(query))
    if len(recent) < throttle.failures:
        return None
    return recent[-1] + throttle.window


def _actor(username: str) -> str:
    """The attempted name as the audit's actor: normalised like account names, and cut to fit."""
    return " ".join(username.split()).lower()[:64] or "(empty)"
