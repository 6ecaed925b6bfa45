"""Sign-ins that survive a browser refresh: a signed, expiring token that only names the account.

A token is `v1.<payload>.<mac>`: the payload (base64url JSON) holds the username, when it was
issued and when it expires; the mac is HMAC-SHA256 under a secret key over the payload and the
account's stored password hash, so a password change ends every token issued before it. Checking
a token re-reads the account: it must exist, be active, and have no `session.end` in the audit log
since the token was issued (signing out, or an admin deactivating the account, records one), and
the token must be younger than both its own expiry and the lifetime configured now. The `User`
returned is the stored one, so a changed role counts at once; every action still goes through
`accounts.require`. `now` is injectable: tests move the clock instead of waiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import PermissionDeniedError, SettingsError, SignInExpiredError
from drafter.workflow import accounts
from drafter.workflow.accounts import SESSION_END, User
from drafter.workflow.tables import AuditRow, UserRow, utcnow

VERSION = "v1"
KEY_BYTES = 32
_INVALID = "not a valid sign-in; sign in again"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SignIns:
    """Issues, checks and ends the sign-in tokens of one database under one key."""

    sessions: sessionmaker[Session]
    key: bytes
    lifetime: timedelta = timedelta(hours=12)
    now: Callable[[], datetime] = utcnow  # UTC, naive, like the audit log's times

    def issue(self, user: User) -> str:
        """A token for the stored account `user` names (refused if it is not active)."""
        with self.sessions() as session:
            row = _row(session, user.username)
            if row is None or not row.active:
                raise PermissionDeniedError(f"{user.username} is not an active account")
            issued = _micros(self.now())
            claims = {"u": row.username, "iat": issued, "exp": issued + self._lifetime_us}
            payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
            return f"{VERSION}.{payload}.{_b64(self._mac(payload, row.password_hash))}"

    def check(self, token: str) -> User:
        """The stored user a valid token names; PermissionDeniedError for a tampered, wrongly
        signed or ended token or an inactive account, SignInExpiredError once it has expired."""
        claims = _parse(token)
        with self.sessions() as session:
            row = _row(session, claims.username)
            expected = self._mac(claims.payload, row.password_hash if row is not None else "")
            if row is None or not hmac.compare_digest(expected, claims.mac):
                raise PermissionDeniedError(_INVALID)
            if not row.active:
                raise PermissionDeniedError(f"{row.username} is not an active account")
            if _micros(self.now()) >= min(claims.expires, claims.issued + self._lifetime_us):
                raise SignInExpiredError("your sign-in expired; sign in again")
            if _ended_since(session, row.username, claims.issued):
                raise PermissionDeniedError("this sign-in was ended (signed out); sign in again")
            return accounts.user_of(row)

    def end(self, user: User) -> None:
        """Sign out: every token of the account issued until now is refused from now on."""
        with self.sessions.begin() as session:
            accounts.end_sessions(session, user.username.strip().lower())

    @property
    def _lifetime_us(self) -> int:
        return self.lifetime // timedelta(microseconds=1)

    def _mac(self, payload: str, password_hash: str) -> bytes:
        message = f"{VERSION}.{payload}.{password_hash}".encode()
        return hmac.new(self.key, message, hashlib.sha256).digest()


def key_file(path: Path) -> bytes:
    """The signing key kept in `path`, made on first use (random, readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made before, or by another process just now
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(KEY_BYTES))
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise SettingsError(
            f"the sign-in key {path} has {len(key)} bytes, not {KEY_BYTES}: delete it to make a "
            "new one (everyone signs in again)"
        )
    return key


@dataclass(frozen=True)
class _Claims:
    """A well-formed token taken apart; its mac is not checked yet."""

    payload: str
    mac: bytes
    username: str
    issued: int  # microseconds since 1970, UTC (the audit log's precision)
    expires: int


def _parse(token: str) -> _Claims:
    parts = token.split(".")
    if len(parts) == 3 and parts[0] == VERSION and all(map(_BASE64URL.fullmatch, parts[1:])):
        try:
            claims, mac = json.loads(_unb64(parts[1])), _unb64(parts[2])
        except ValueError:  # a bad length, not UTF-8, not JSON
            claims, mac = None, b""
        if (
            isinstance(claims, dict)
            and isinstance(claims.get("u"), str)
            and all(type(claims.get(k)) is int for k in ("iat", "exp"))
        ):
            return _Claims(parts[1], mac, claims["u"], claims["iat"], claims["exp"])
    raise PermissionDeniedError(_INVALID)


def _row(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))


def _ended_since(session: Session, username: str, issued_us: int) -> bool:
    """Whether the account's sign-ins were ended at or after `issued_us`."""
    issued = (_EPOCH + timedelta(microseconds=issued_us)).replace(tzinfo=None)
    query = (
        select(AuditRow.id)
        .where(AuditRow.at >= issued, AuditRow.action == SESSION_END, AuditRow.actor == username)
        .limit(1)
    )
    return session.scalar(query) is not None


def _micros(at: datetime) -> int:
    return (at.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
