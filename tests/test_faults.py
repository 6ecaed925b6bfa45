"""Faults in the middle (issue 13): two doctor processes (bench/load_doctor.py) work against
PostgreSQL, a `chroma run` server and the stub model server in rounds, while the parent stops
each part in turn and starts it again on the same port with the same data. While a part is down
each doctor's operation fails with Drafter's clear error (exit code 4), within the deadlines, and
the CLI says the same in one line; nothing saved before is lost; once the part is back the same
processes, never restarted, draft, edit, approve and find their answers again."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bench.load import FAULTS, Options, run_suite
from drafter.core.errors import BackendUnavailableError, DrafterError
from drafter.workflow.database import DatabaseUnavailableError
from tests.conftest import CliResult, RunCli
from tests.support.postgres import postgres_bindir
from tests.support.servers import chroma_executable

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.slow]

DOCTORS = 2
REQUEST_TIMEOUT = 5  # DRAFTER_REQUEST_TIMEOUT for every process of the run
# What each doctor's question ran into while the part was down: the operation and the error.
SEEN_WHILE_DOWN = {
    "chroma": r"draft: BackendUnavailableError: Chroma server at http://127\.0\.0\.1:\d+ does not "
    r"answer \(DRAFTER_CHROMA_URL\): ConnectError",
    "model": r"draft: BackendUnavailableError: the model backend \(openai:stub-model\) failed: "
    r"OpenAIConnectionError: Connection error\. \(the partial draft is saved\)",
    "postgresql": r"open: DatabaseUnavailableError: the database postgresql\+psycopg://drafter@"
    r"127\.0\.0\.1:\d+/load_\w+ does not answer \(DRAFTER_DATABASE_URL\): connection failed: ",
}
ERRORS: dict[str, type[DrafterError]] = {
    "BackendUnavailableError": BackendUnavailableError,
    "DatabaseUnavailableError": DatabaseUnavailableError,
}
# A command run while the part is down, and its error line (it exits with 4).
CLI_WHILE_DOWN = {
    "chroma": (
        ("search", "knee pain after running"),
        r"drafter: error: Chroma server at http://127\.0\.0\.1:\d+ does not answer "
        r"\(DRAFTER_CHROMA_URL\): \w+",
    ),
    "model": (
        ("draft", "My knee hurts after running. What can I do?"),
        r"drafter: error: the model backend \(openai:stub-model\) failed: OpenAIConnectionError: "
        r"Connection error\. \(the partial text is above\)",
    ),
    "postgresql": (
        ("audit", "verify"),
        r"drafter: error: cannot open the database postgresql\+psycopg://drafter@127\.0\.0\.1:"
        r"\d+/load_\w+: connection failed: .*",
    ),
}


def test_doctor_processes_carry_on_through_a_restart_of_each_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    if postgres_bindir() is None or chroma_executable() is None:
        pytest.skip("needs PostgreSQL's binaries and the chroma command")
    monkeypatch.setenv("DRAFTER_REQUEST_TIMEOUT", str(REQUEST_TIMEOUT))  # the doctors inherit it
    options = Options(
        doctors=(DOCTORS,),
        ops=DOCTORS * (1 + 2 * len(FAULTS)),  # one question per doctor and round
        databases=("postgresql",),
        timeout=300,
        faults=FAULTS,
    )
    cli: dict[str, CliResult] = {}

    def while_down(part: str, env: dict[str, str]) -> None:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            patch.setenv("DRAFTER_DATA_DIR", str(tmp_path / f"cli-{part}"))
            cli[part] = run_cli(*CLI_WHILE_DOWN[part][0])

    [outcome] = run_suite(options, tmp_path / "run", while_down)

    names = options.round_names()
    assert names == [
        "up",
        "chroma down",
        "chroma back",
        "model down",
        "model back",
        "postgresql down",
        "postgresql back",
    ]
    rounds = dict(
        zip(
            names,
            zip(outcome.round_errors, outcome.round_approvals, outcome.round_seconds, strict=True),
            strict=True,
        )
    )
    for name, (errors, approved, _) in rounds.items():
        if not name.endswith("down"):  # everything up: every doctor's question goes through
            assert errors == Counter(), name
            assert approved == DOCTORS, name
    for part in FAULTS:
        errors, approved, seconds = rounds[f"{part} down"]
        assert approved == 0, part
        assert sum(errors.values()) == DOCTORS, errors  # each question ended at its first error
        for error in errors:
            assert re.fullmatch(SEEN_WHILE_DOWN[part] + ".*", error), error
            assert ERRORS[error.split(": ")[1]].exit_code == 4
        # no hang: a refused connection fails at once; the model's is retried (1 s, then 2 s)
        assert seconds < 4 * REQUEST_TIMEOUT, (part, seconds)

        result, line = cli[part], CLI_WHILE_DOWN[part][1]
        assert result.code == 4, (part, result)
        # one error line, the last (`draft` shows its stages before it), and no traceback
        lines = [e for e in result.err.splitlines() if e.startswith("drafter: error:")]
        assert len(lines) == 1, result.err
        assert re.fullmatch(line, result.err.splitlines()[-1]), result.err
        assert "Traceback" not in result.err

    # Nothing lost across the restarts: every save the doctors were told of is a version (the
    # partial drafts of the model's round included), every approval has its audit event, the
    # chain holds, and each process found every approved answer at the end.
    assert outcome.failures == []
    assert (outcome.lost, outcome.duplicated, outcome.unaudited, outcome.not_found) == (0, 0, 0, 0)
    assert outcome.chain_intact
    assert outcome.approvals == DOCTORS * 4  # the rounds with everything up
    assert outcome.searches >= DOCTORS * 4 + DOCTORS * outcome.approvals
    assert outcome.ok
