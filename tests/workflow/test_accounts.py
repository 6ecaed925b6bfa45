"""Accounts and roles: hashed passwords, one message for every failed login, the permission table
enforced in the library, and clear errors for bad account input."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.workflow.accounts import PERMISSIONS, ROLES, User, require
from drafter.workflow.tables import UserRow
from tests.support.workflow_kit import STAFF, Desk


def test_passwords_are_stored_as_argon2_hashes_never_in_plain(desk: Desk) -> None:
    with desk.workflow.sessions() as session:
        hashes = {r.username: r.password_hash for r in session.scalars(select(UserRow))}
    assert set(hashes) == set(STAFF)
    for username, (_, _, password) in STAFF.items():
        assert hashes[username].startswith("$argon2id$")
        assert password not in hashes[username]
    assert len(set(hashes.values())) == len(hashes)  # salted: no two hashes alike


def test_login_returns_the_user_with_role_and_display_name(desk: Desk) -> None:
    assert desk.workflow.login("doctor", "doctor-pass-1") == User(
        "doctor", "Dr. Ana Ruiz", "doctor"
    )
    assert desk.workflow.login("  Editor2 ", "editor-pass-2").display_name == "Tom Berger"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("doctor", "wrong-password"),
        ("doctor", "DOCTOR-PASS-1"),
        ("doctor", ""),
        ("nobody", "doctor-pass-1"),
        ("editor", "doctor-pass-1"),  # another user's password
    ],
)
def test_a_failed_login_has_one_generic_message(desk: Desk, username: str, password: str) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        desk.workflow.login(username, password)
    assert str(caught.value) == "wrong username or password"
    assert caught.value.exit_code == 5


def test_an_unknown_name_takes_as_long_as_a_wrong_password(desk: Desk) -> None:
    """Otherwise the time a login takes tells which usernames exist."""

    def fastest(username: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            with pytest.raises(PermissionDeniedError):
                desk.workflow.login(username, "not-the-password")
            times.append(time.perf_counter() - started)
        return min(times)

    assert fastest("no-such-user") > 0.3 * fastest("doctor")


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("newdoc", "long-enough-1", "surgeon", "role 'surgeon' is not one of doctor, editor"),
        ("newdoc", "short", "doctor", "at least 8 characters"),
        ("doctor", "long-enough-1", "doctor", "user 'doctor' already exists"),
        ("DOCTOR", "long-enough-1", "editor", "user 'doctor' already exists"),
        ("x", "long-enough-1", "doctor", "use 2-64 of"),
        ("has space", "long-enough-1", "doctor", "use 2-64 of"),
        ("", "long-enough-1", "doctor", "use 2-64 of"),
    ],
)
def test_bad_account_input_is_a_clear_input_error(
    desk: Desk, username: str, password: str, role: str, message: str
) -> None:
    before = desk.workflow.audit()
    with pytest.raises(InputError, match=message):
        desk.workflow.add_user(desk.admin, username, password, role)
    assert desk.workflow.audit() == before
    assert len(desk.workflow.users()) == len(STAFF)


def test_an_admin_adds_a_user_who_can_then_log_in_and_the_audit_says_who(desk: Desk) -> None:
    added = desk.workflow.add_user(desk.admin, " NewDoc ", "long-enough-1", "doctor", "Dr. New")
    assert added == User("newdoc", "Dr. New", "doctor")
    assert desk.workflow.login("newdoc", "long-enough-1") == added
    event = desk.workflow.audit()[-1]
    assert (event.actor, event.action) == ("admin", "user.add")
    assert event.detail == {"username": "newdoc", "role": "doctor"}
    assert "long-enough-1" not in str(event)


@pytest.mark.parametrize("role", ["doctor", "editor", "reviewer"])
def test_only_an_admin_adds_users(desk: Desk, role: str) -> None:
    actor = next(u for u in desk.users.values() if u.role == role)
    with pytest.raises(PermissionDeniedError, match="may not manage users"):
        desk.workflow.add_user(actor, "sneaky", "long-enough-1", "admin")
    assert "sneaky" not in {u.username for u in desk.workflow.users()}


def test_the_permission_table_is_the_issue_s_rules() -> None:
    assert PERMISSIONS["approve_reply"] == {"doctor"}
    assert PERMISSIONS["approve_explainer"] == {"editor"}
    assert PERMISSIONS["rate"] == {"reviewer"}
    assert PERMISSIONS["manage_users"] == {"admin"}
    assert "reviewer" not in PERMISSIONS["edit"] | PERMISSIONS["draft"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(PERMISSIONS))
def test_require_follows_the_table(desk: Desk, role: str, action: str) -> None:
    user = next(u for u in desk.users.values() if u.role == role)
    if role in PERMISSIONS[action]:  # type: ignore[index]
        assert require(desk.workflow.sessions, user, action) == user  # type: ignore[arg-type]
    else:
        with pytest.raises(PermissionDeniedError, match=f"{user.username} \\({role}\\) may not"):
            require(desk.workflow.sessions, user, action)  # type: ignore[arg-type]
