"""deploy/backup.sh and deploy/restore.sh, the commands docs/operations.md gives, on real servers:
an approved answer on PostgreSQL and a `chroma run` server is backed up, both are destroyed,
restored, and the answer, its versions, its audit events and its search hit are all back. The
same for a SQLite database backed up while it is open."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench.load_doctor import found, search_query
from drafter.core.settings import load_settings
from drafter.services import Services
from drafter.workflow.doctor import Workflow
from drafter.workflow.publish import record_id
from knowledge import sample_files
from knowledge.embeddings import Embedder
from knowledge.ingest import ingest_files
from tests.support.postgres import PostgresServer, postgres_bindir
from tests.support.servers import ChromaServer, chroma_executable
from tests.support.workflow_kit import STAFF, Desk, add_staff, drafted

ROOT = Path(__file__).resolve().parents[1]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"


def run_script(script: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a deploy/ script with this machine's PostgreSQL binaries and this interpreter."""
    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable}
    if bindir := postgres_bindir():
        env["PG_BINDIR"] = str(bindir)
    return subprocess.run(
        ["bash", str(script), *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )


@dataclass(frozen=True)
class Kept:
    """What the workflow database holds about the approved answers: what must come back."""

    versions: list[tuple[int, int, str, str]]
    approvals: list[tuple[int, int, int, str, str, str]]
    events: list[tuple[int, str, str, int | None]]

    @classmethod
    def of(cls, workflow: Workflow) -> Kept:
        return cls(
            [(v.question_id, v.number, v.title, v.reply) for v in workflow.all_versions()],
            [
                (a.id, a.question_id, a.version_number, a.final_text, a.approved_by, a.part)
                for a in workflow.all_approvals("reply")
            ],
            [(e.id, e.action, e.actor, e.question_id) for e in workflow.audit()],
        )


def approved_answer(services: Services, url: str) -> tuple[int, str]:
    """A doctor's edited and approved reply, published to the knowledge base: (question, query
    that should find it)."""
    workflow = services.workflow()
    users = add_staff(workflow, {"doctor": STAFF["doctor"]})
    question, first = drafted(Desk(workflow, url, users))
    edited = workflow.save_edit(
        users["doctor"],
        question.id,
        base=first.number,
        title=first.title,
        reply=f"{first.reply} Rest from running for two weeks, then build up slowly.",
        explainer=first.explainer,
    )
    approval = workflow.approve(users["doctor"], question.id, "reply", version=edited.number)
    assert approval.publish_error is None
    return question.id, search_query(approval.title, question.text)


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.postgres
def test_a_backup_of_postgresql_and_chroma_restores_the_approved_answers(
    postgres_server: PostgresServer, embedder: Embedder, tmp_path: Path
) -> None:
    exe = chroma_executable()
    if exe is None:
        pytest.skip(f"chroma is not installed next to {sys.executable}")
    chroma = ChromaServer(exe, tmp_path / "chroma").start()
    try:
        live = f"live_{uuid.uuid4().hex[:8]}"
        url = postgres_server.create_database(live)
        settings = {"chroma_url": chroma.url, "data_dir": tmp_path / "app"}
        services = Services(load_settings(database_url=url, **settings))
        ingest_files(services.retriever(store=services.store(create=True)), sample_files())
        question_id, query = approved_answer(services, url)
        assert found(services.retriever(), query, record_id(question_id))
        before = Kept.of(services.workflow())
        services.close()

        chroma.stop()
        out = tmp_path / "backup"
        done = run_script(BACKUP, "--database", url, "--chroma-dir", chroma.root / "data", out)
        assert done.returncode == 0, done.stderr
        assert {p.name for p in out.iterdir()} == {"drafter.dump", "chroma.tar"}

        postgres_server.drop_database(live)  # the disaster
        subprocess.run(["rm", "-rf", str(chroma.root / "data")], check=True)

        restored = postgres_server.create_database(f"restored_{uuid.uuid4().hex[:8]}")
        done = run_script(RESTORE, "--database", restored, "--chroma-dir", chroma.root / "data")
        assert done.returncode == 2  # no BACKUP_DIR
        done = run_script(
            RESTORE, "--database", restored, "--chroma-dir", chroma.root / "data", out
        )
        assert done.returncode == 0, done.stderr
        chroma.start()

        services = Services(load_settings(database_url=restored, **settings))
        workflow = services.workflow()
        after = Kept.of(workflow)
        assert after == before
        assert {"draft.create", "draft.edit", "approve.reply", "publish.knowledge_base"} <= {
            e[1] for e in after.events
        }
        assert workflow.verify_audit().intact
        assert found(services.retriever(), query, record_id(question_id))
        with pytest.raises(DBAPIError, match="append-only"), workflow.sessions.begin() as session:
            session.execute(text("UPDATE audit_log SET actor = 'someone else'"))

        again = run_script(RESTORE, "--database", restored, out)  # no longer empty
        assert again.returncode == 1
        assert "already exists" in again.stderr
        again = run_script(RESTORE, "--chroma-dir", chroma.root / "data", out)
        assert again.returncode == 1
        assert "not empty" in again.stderr
    finally:
        chroma.stop()


def test_a_sqlite_database_backed_up_while_open_restores_whole(desk: Desk, tmp_path: Path) -> None:
    question, first = drafted(desk)
    desk.workflow.approve(desk.doctor, question.id, "reply")  # no publisher: nothing to publish
    before = Kept.of(desk.workflow)
    live = Path(desk.url.removeprefix("sqlite:///"))
    assert Path(f"{live}-wal").exists()  # open, in WAL mode: the newest rows are in the WAL

    done = run_script(BACKUP, "--sqlite", live, tmp_path / "backup")
    assert done.returncode == 0, done.stderr
    again = run_script(BACKUP, "--sqlite", live, tmp_path / "backup")
    assert again.returncode == 1  # a finished backup is never overwritten
    assert "exists" in again.stderr

    target = tmp_path / "restored" / "drafter.db"
    target.parent.mkdir()
    done = run_script(RESTORE, "--sqlite", target, tmp_path / "backup")
    assert done.returncode == 0, done.stderr
    assert run_script(RESTORE, "--sqlite", target, tmp_path / "backup").returncode == 1

    restored = desk.reopen()
    assert Kept.of(restored) == before
    assert restored.verify_audit().intact
    restored.sessions.kw["bind"].dispose()


@pytest.mark.parametrize("script", [BACKUP, RESTORE], ids=lambda p: p.name)
def test_the_scripts_explain_themselves_and_refuse_bad_usage(script: Path) -> None:
    shown = run_script(script, "--help")
    assert shown.returncode == 0
    assert shown.stdout.startswith(f"Usage: deploy/{script.name} ")
    assert run_script(script, "--bogus", "x").returncode == 2
    assert run_script(script, "somewhere").returncode == 2  # no part to back up or restore
