"""Accounts from the command line: adding or deactivating one needs an admin's login (`--as`),
except the first (admin) account of an empty database; logins are throttled here too."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from tests.conftest import RunCli
from tests.support.workflow_kit import Desk


@pytest.fixture
def add(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`drafter user add ARGS --password-stdin`, the new password on stdin."""

    def run(*args: str) -> Any:
        monkeypatch.setattr(sys, "stdin", io.StringIO("a-good-password\n"))
        return run_cli("user", "add", *args, "--password-stdin")

    return run


def test_adding_an_admin_needs_an_admin_s_login(
    desk: Desk, add: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = add("mallory", "--role", "admin")
    assert (bare.code, bare.out) == (5, "")
    assert "needs an admin's login: --as ADMIN" in bare.err
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-pass-1")
    as_doctor = add("mallory", "--role", "admin", "--as", "doctor")
    assert as_doctor.code == 5
    assert "doctor (doctor) may not manage users" in as_doctor.err
    monkeypatch.setenv("DRAFTER_PASSWORD", "a-guess-1")
    wrong = add("mallory", "--role", "admin", "--as", "admin")
    assert (wrong.code, wrong.err) == (5, "drafter: error: wrong username or password\n")
    assert desk.workflow.audit()[-1].action == "login.failed"
    assert "mallory" not in {u.username for u in desk.workflow.users()}
    monkeypatch.setenv("DRAFTER_PASSWORD", "admin-pass-1")
    ok = add("kim", "--role", "admin", "--as", "admin")
    assert (ok.code, ok.out) == (0, "added kim (admin)\n")
    event = desk.workflow.audit()[-1]
    assert (event.actor, event.action, event.detail) == (
        "admin",
        "user.add",
        {"username": "kim", "role": "admin"},
    )


def test_the_first_account_of_an_empty_database_needs_no_login_and_must_be_an_admin(
    run_cli: RunCli, add: Any
) -> None:
    doctor = add("jroe", "--role", "doctor")
    assert doctor.code == 2
    assert "first account of a new database must be an admin" in doctor.err
    root = add("root", "--role", "admin", "--name", "Root")
    assert (root.code, root.out) == (0, "added root (admin)\n")
    [event] = run_cli("audit", "--json").json()
    assert (event["actor"], event["action"]) == ("root", "user.add")
    assert event["detail"]["first_account"] is True
    again = add("second", "--role", "admin")
    assert again.code == 5
    assert "needs an admin's login" in again.err


def test_demo_logins_in_a_database_with_other_accounts_need_an_admin(
    run_cli: RunCli, add: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add("root", "--role", "admin").code == 0
    refused = run_cli("user", "demo")
    assert refused.code == 5
    assert "needs an admin's login" in refused.err
    monkeypatch.setenv("DRAFTER_PASSWORD", "a-good-password")
    made = run_cli("user", "demo", "--as", "root")
    assert made.code == 0, made.err
    listed = run_cli("user", "list").out.split()
    assert {"admin", "doctor", "editor", "reviewer", "root"} <= set(listed)
    events = run_cli("audit", "--json").json()
    assert [e["actor"] for e in events if e["action"] == "user.add"] == ["root"] * 5


def test_a_deactivated_account_can_no_longer_act_from_the_cli(
    desk: Desk, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTER_PASSWORD", "admin-pass-1")
    off = run_cli("user", "deactivate", "reviewer", "--as", "admin")
    assert (off.code, off.out) == (0, "deactivated reviewer\n")
    assert desk.workflow.audit()[-1].action == "user.deactivate"
    monkeypatch.setenv("DRAFTER_PASSWORD", "reviewer-pass-1")
    assert run_cli("questions", "draft", "1", "--user", "reviewer").code == 5
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-pass-1")
    not_admin = run_cli("user", "activate", "reviewer", "--as", "doctor")
    assert not_admin.code == 5
    assert "may not manage users" in not_admin.err
    missing = run_cli("user", "deactivate")
    assert (missing.code, missing.err) == (2, "drafter: error: user deactivate needs USERNAME\n")


def test_the_cli_is_throttled_too(
    desk: Desk, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTER_PASSWORD", "guessing-1")
    results: list[Any] = [run_cli("approve", "1", "--user", "doctor") for _ in range(5)]
    assert {(r.code, r.err) for r in results} == {
        (5, "drafter: error: wrong username or password\n")
    }
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-pass-1")
    locked = run_cli("approve", "1", "--user", "doctor")
    assert locked.code == 5
    assert "too many failed logins for 'doctor'" in locked.err
