"""Failed logins are audited without the password and throttled per username: after 5 failures
in 15 minutes even the right password is refused until the oldest of them is 15 minutes old."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drafter.core.errors import PermissionDeniedError
from drafter.workflow.tables import utcnow
from tests.support.workflow_kit import Desk


class Clock:
    """The throttle's "now", moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@pytest.fixture
def clock(desk: Desk) -> Clock:
    desk.workflow.clock = clock = Clock()
    return clock


def fail(desk: Desk, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(PermissionDeniedError, match="wrong username or password"):
            desk.workflow.login(username, "not-the-password")


def test_a_failed_login_is_audited_without_the_password(desk: Desk) -> None:
    fail(desk, " Doctor ", 1)
    event = desk.workflow.audit()[-1]
    assert (event.actor, event.action, event.detail) == ("doctor", "login.failed", {})
    assert "not-the-password" not in str(event.to_json())


def test_five_failures_lock_the_name_until_they_are_fifteen_minutes_old(
    desk: Desk, clock: Clock
) -> None:
    fail(desk, "doctor", 5)
    with pytest.raises(PermissionDeniedError) as caught:
        desk.workflow.login("doctor", "doctor-pass-1")  # the right password, refused unchecked
    assert str(caught.value) == "too many failed logins for 'doctor': try again in 15 minutes"
    assert caught.value.exit_code == 5
    assert [e.action for e in desk.workflow.audit()][-2:] == ["login.failed", "login.locked"]
    assert desk.workflow.login("editor", "editor-pass-1").username == "editor"  # per user
    clock.offset = timedelta(minutes=10)
    with pytest.raises(PermissionDeniedError, match="try again in 5 minutes"):
        desk.workflow.login("doctor", "doctor-pass-1")
    clock.offset = timedelta(minutes=15, seconds=1)
    assert desk.workflow.login("doctor", "doctor-pass-1").username == "doctor"


def test_four_failures_do_not_lock(desk: Desk, clock: Clock) -> None:
    fail(desk, "doctor", 4)
    assert desk.workflow.login("doctor", "doctor-pass-1").username == "doctor"


def test_an_unknown_name_is_throttled_the_same_way_so_names_are_not_probed(desk: Desk) -> None:
    fail(desk, "nobody", 5)
    with pytest.raises(PermissionDeniedError, match="too many failed logins for 'nobody'"):
        desk.workflow.login("nobody", "whatever-1")


def test_the_demo_check_of_the_login_page_is_not_a_failed_login(desk: Desk) -> None:
    before = desk.workflow.audit()
    for _ in range(6):
        assert desk.workflow.has_demo_password("doctor") is False  # the kit's doctor has another
    assert desk.workflow.audit() == before
    assert desk.workflow.login("doctor", "doctor-pass-1").username == "doctor"
