"""Sign-in tokens: a valid one names the stored account; an expired, tampered, wrongly signed or
ended one (signed out, deactivated, password changed) is refused; the key is made once, 0600."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, update

from drafter.core.errors import PermissionDeniedError, SettingsError, SignInExpiredError
from drafter.services import Services
from drafter.workflow.sign_in import KEY_BYTES, SignIns, key_file
from drafter.workflow.tables import UserRow
from tests.conftest import MakeSettings
from tests.support.workflow_kit import Desk
from tests.workflow.test_logins import Clock

KEY = b"k" * KEY_BYTES
INVALID = "not a valid sign-in; sign in again"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sign_ins(desk: Desk, clock: Clock) -> SignIns:
    return SignIns(desk.workflow.sessions, KEY, lifetime=timedelta(hours=12), now=clock)


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def with_claims(token: str, **changed: object) -> str:
    """The token with its payload rewritten and its mac kept, as a forger would try."""
    version, _, mac = token.split(".")
    raw = json.dumps({**claims(token), **changed}).encode()
    return f"{version}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{mac}"


def set_row(desk: Desk, username: str, **values: object) -> None:
    with desk.workflow.sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.username == username).values(**values))


def test_a_token_names_the_account_and_checking_it_returns_the_stored_user(
    desk: Desk, sign_ins: SignIns
) -> None:
    token = sign_ins.issue(desk.doctor)
    assert set(claims(token)) == {"u", "iat", "exp"}  # a name and two times, nothing else
    assert claims(token)["u"] == "doctor"
    assert sign_ins.check(token) == desk.doctor
    set_row(desk, "doctor", role="reviewer", display_name="Dr. Ana Ruiz-Moreno")
    assert (sign_ins.check(token).role, sign_ins.check(token).display_name) == (
        "reviewer",
        "Dr. Ana Ruiz-Moreno",
    )


def test_a_token_expires_after_its_lifetime(desk: Desk, sign_ins: SignIns, clock: Clock) -> None:
    token = sign_ins.issue(desk.doctor)
    clock.offset = timedelta(hours=12) - timedelta(seconds=1)
    assert sign_ins.check(token).username == "doctor"
    clock.offset = timedelta(hours=12)
    with pytest.raises(SignInExpiredError, match="your sign-in expired; sign in again"):
        sign_ins.check(token)


def test_a_shorter_lifetime_ends_older_tokens_at_once(
    desk: Desk, sign_ins: SignIns, clock: Clock
) -> None:
    token = sign_ins.issue(desk.doctor)
    clock.offset = timedelta(hours=2)
    assert sign_ins.check(token).username == "doctor"
    with pytest.raises(SignInExpiredError):
        replace(sign_ins, lifetime=timedelta(hours=1)).check(token)


@pytest.mark.parametrize(
    "changed",
    [{"u": "admin"}, {"exp": 99_999_999_999_999_999}, {"iat": 0}],
    ids=["another-user", "later-expiry", "earlier-issue"],
)
def test_a_tampered_payload_is_refused(
    desk: Desk, sign_ins: SignIns, changed: dict[str, object]
) -> None:
    token = with_claims(sign_ins.issue(desk.doctor), **changed)
    with pytest.raises(PermissionDeniedError, match=INVALID) as caught:
        sign_ins.check(token)
    assert not isinstance(caught.value, SignInExpiredError)


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1..", "v1.e30.", "v2.e30.AAAA", "v1.bm90IGpzb24.AAAA", "v1.e30.AAAA", "v1.é.AAAA"],
)
def test_a_malformed_token_is_refused_with_one_line(sign_ins: SignIns, token: str) -> None:
    with pytest.raises(PermissionDeniedError, match=INVALID):
        sign_ins.check(token)


def test_junk_in_a_valid_token_makes_it_invalid(desk: Desk, sign_ins: SignIns) -> None:
    token = sign_ins.issue(desk.doctor)
    for spoiled in (token + "!", token[:-2], token.replace("v1.", "v1.=", 1)):
        with pytest.raises(PermissionDeniedError, match=INVALID):
            sign_ins.check(spoiled)


def test_a_token_signed_with_another_key_is_refused(desk: Desk, sign_ins: SignIns) -> None:
    token = replace(sign_ins, key=b"x" * KEY_BYTES).issue(desk.doctor)
    with pytest.raises(PermissionDeniedError, match=INVALID):
        sign_ins.check(token)


def test_signing_out_ends_the_accounts_tokens_but_not_the_next_sign_in(
    desk: Desk, sign_ins: SignIns
) -> None:
    before, other = sign_ins.issue(desk.doctor), sign_ins.issue(desk.editor)
    sign_ins.end(desk.doctor)
    with pytest.raises(PermissionDeniedError, match=r"ended \(signed out\)"):
        sign_ins.check(before)
    assert sign_ins.check(other).username == "editor"  # another account's sign-in stands
    after = sign_ins.issue(desk.doctor)
    assert sign_ins.check(after).username == "doctor"
    assert desk.workflow.audit()[-1].action == "session.end"
    assert desk.workflow.audit()[-1].actor == "doctor"


def test_a_deactivated_account_is_refused_and_stays_refused_when_activated_again(
    desk: Desk, sign_ins: SignIns
) -> None:
    token = sign_ins.issue(desk.doctor)
    desk.workflow.set_active(desk.admin, "doctor", False)
    with pytest.raises(PermissionDeniedError, match="doctor is not an active account"):
        sign_ins.check(token)
    with pytest.raises(PermissionDeniedError, match="doctor is not an active account"):
        sign_ins.issue(desk.doctor)
    desk.workflow.set_active(desk.admin, "doctor", True)
    with pytest.raises(PermissionDeniedError, match=r"ended \(signed out\)"):
        sign_ins.check(token)
    ended = next(e for e in desk.workflow.audit() if e.action == "session.end")
    assert (ended.actor, ended.detail) == ("doctor", {"by": "admin"})


def test_a_password_change_ends_older_tokens(desk: Desk, sign_ins: SignIns) -> None:
    token = sign_ins.issue(desk.doctor)
    set_row(desk, "doctor", password_hash=PasswordHasher().hash("a-new-password"))
    with pytest.raises(PermissionDeniedError, match=INVALID):
        sign_ins.check(token)


def test_a_token_for_an_account_that_is_gone_is_refused(desk: Desk, sign_ins: SignIns) -> None:
    token = sign_ins.issue(desk.doctor)
    with desk.workflow.sessions.begin() as session:
        session.execute(delete(UserRow).where(UserRow.username == "doctor"))
    with pytest.raises(PermissionDeniedError, match=INVALID):
        sign_ins.check(token)


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "session.key"
    key = key_file(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_file(path) == key
    assert key_file(tmp_path / "other.key") != key


def test_a_short_key_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    path.write_bytes(b"short")
    with pytest.raises(SettingsError, match="has 5 bytes, not 32: delete it"):
        key_file(path)


def test_services_sign_with_the_configured_secret_or_the_data_folders_key(
    make_settings: MakeSettings, desk: Desk
) -> None:
    settings = make_settings(database_url=desk.url)
    assert not settings.session_key_path.exists()
    own = Services(settings).sign_ins()
    assert own.key == settings.session_key_path.read_bytes()
    assert own.lifetime == timedelta(hours=12)
    secret = "s" * 40
    configured = Services(
        make_settings(database_url=desk.url, session_secret=secret, session_hours=0.5)
    ).sign_ins()
    assert (configured.key, configured.lifetime) == (secret.encode(), timedelta(minutes=30))
    token = configured.issue(desk.doctor)
    assert configured.check(token).username == "doctor"
    with pytest.raises(PermissionDeniedError, match=INVALID):
        own.check(token)
