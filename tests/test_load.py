"""bench/load.py's core, small: two doctor processes at once on SQLite and on a real PostgreSQL,
with a `chroma run` server and the stub model server. Nothing saved is lost or saved twice,
every approval is audited, and every approved answer is found from both processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import Options, run_suite
from tests.support.postgres import postgres_bindir
from tests.support.servers import chroma_executable

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.slow]


def test_two_doctor_processes_lose_nothing_on_either_database(tmp_path: Path) -> None:
    if postgres_bindir() is None or chroma_executable() is None:
        pytest.skip("needs PostgreSQL's binaries and the chroma command")
    options = Options(doctors=(2,), ops=2, databases=("sqlite", "postgresql"), timeout=300)

    outcomes = run_suite(options, tmp_path)

    assert [(o.database, o.doctors) for o in outcomes] == [("sqlite", 2), ("postgresql", 2)]
    for o in outcomes:
        assert o.failures == []
        assert (o.lost, o.duplicated, o.unaudited, o.not_found) == (0, 0, 0, 0)
        assert o.chain_intact
        assert o.approvals == 2  # every question approved
        # the shared question's first draft; per question a draft, an edit, an edit of the shared
        # question, and one stale edit (the second question's)
        assert o.versions == 1 + 2 * 3 + 1
        assert len(o.latencies["stale_edit"]) == 1  # kept, and flagged as a conflict
        assert o.searches == 2 + 2 * 2  # after each approval, then every answer from each
        assert o.errors == {}
        assert o.ok
