"""`drafter audit verify`: an intact log prints its size and last hash (exit 0); a changed one names
its first bad row (exit 7); `--anchor` catches removed newest rows; bad arguments exit 2."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.conftest import RunCli
from tests.support.workflow_kit import Desk, allow_audit_changes

INTACT = re.compile(r"audit log intact: (\d+) events, last hash ([0-9a-f]{64}) \(row (\d+)\)\n")


def owner_sql(desk: Desk, statement: str) -> None:
    """What the database's owner can do: drop the append-only triggers and change a row."""
    with desk.workflow.sessions.begin() as session:
        allow_audit_changes(session)
        session.execute(text(statement))


def test_an_intact_log_prints_its_events_and_last_hash(desk: Desk, run_cli: RunCli) -> None:
    desk.workflow.add_question(desk.doctor, "Can I run a half marathon with a cold?")
    result = run_cli("audit", "verify")
    assert (result.code, result.err) == (0, "")
    found = INTACT.fullmatch(result.out)
    assert found is not None, result.out
    events = desk.workflow.audit()
    assert int(found[1]) == len(events)
    assert int(found[3]) == events[-1].id


def test_an_empty_log_is_intact(run_cli: RunCli) -> None:
    result = run_cli("audit", "verify")
    assert (result.code, result.out) == (0, "audit log intact: 0 events\n")


@pytest.mark.parametrize(
    ("statement", "row", "problem"),
    [
        ("""UPDATE audit_log SET detail = '{"role": "admin"}' WHERE id = 3""", 3, "edited"),
        ("DELETE FROM audit_log WHERE id = 3", 4, "missing"),
        ("UPDATE audit_log SET at = '2000-01-01 00:00:00' WHERE id = 3", 3, "back-dated"),
        (f"UPDATE audit_log SET row_hash = '{'0f' * 32}' WHERE id = 3", 3, "edited"),
    ],
)
def test_a_changed_log_names_its_first_bad_row_and_exits_7(
    desk: Desk, run_cli: RunCli, statement: str, row: int, problem: str
) -> None:
    owner_sql(desk, statement)
    result = run_cli("audit", "verify")
    assert (result.code, result.out) == (7, "")
    assert result.err.startswith(f"drafter: error: the audit log does not verify: row {row}: ")
    assert f": {problem}: " in result.err
    assert len(result.err.splitlines()) == 1
    as_json = run_cli("audit", "verify", "--json")
    assert as_json.code == 7
    assert as_json.json()["intact"] is False
    assert as_json.json()["broken"]["row_id"] == row
    assert as_json.json()["broken"]["problem"] == problem
    assert as_json.json()["last_id"] == 2  # the last good row


def test_an_anchor_kept_elsewhere_catches_the_newest_rows_removed(
    desk: Desk, run_cli: RunCli
) -> None:
    kept = run_cli("audit", "verify", "--json").json()
    anchor = f"{kept['last_id']}:{kept['last_hash']}"
    assert run_cli("audit", "verify", "--anchor", anchor).code == 0
    owner_sql(desk, f"DELETE FROM audit_log WHERE id = {kept['last_id']}")
    assert run_cli("audit", "verify").code == 0  # the chain alone cannot tell
    result = run_cli("audit", "verify", "--anchor", anchor)
    assert result.code == 7
    assert f"row {kept['last_id']}: missing: " in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "verify", "--anchor", "7:abc"], "is not ROW:HASH"),
        (["audit", "verify", "--since", "2026-01-01"], "checks the whole log"),
        (["audit", "verify", "--question", "3"], "checks the whole log"),
        (["audit", "--anchor", "7:" + "a" * 64], "--anchor is for `drafter audit verify`"),
    ],
)
def test_bad_arguments_exit_2(run_cli: RunCli, argv: list[str], message: str) -> None:
    result = run_cli(*argv)
    assert result.code == 2
    assert message in result.err


def test_the_help_explains_verify_and_what_it_cannot_catch(run_cli: RunCli) -> None:
    result = run_cli("audit", "--help")
    assert result.code == 0
    words = " ".join(result.out.split())
    for phrase in ("verify", "edited", "back-dated", "exit code 7", "--anchor ROW:HASH", "owner"):
        assert phrase in words


def test_listing_the_log_still_works_without_an_action(desk: Desk, run_cli: RunCli) -> None:
    result = run_cli("audit", "--json")
    assert result.code == 0
    assert [e["action"] for e in result.json()] == [e.action for e in desk.workflow.audit()]
