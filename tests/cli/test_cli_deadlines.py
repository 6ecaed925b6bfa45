"""`drafter` against servers that hang or echo secrets (issue 11, defects 2 and 4): one line,
exit code 4, within the timeout; an approval stands and its failed publish is audited; no key
or URL password is printed, saved with a draft or audited."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.cli.conftest import GOUT
from tests.conftest import RunCli, SampleKb, free_port
from tests.support.misbehaving import Misbehaviour, black_hole, misbehaving_openai
from tests.support.workflow_kit import Desk, ai_draft

pytestmark = pytest.mark.usefixtures("doctor_signed_in")


@pytest.fixture
def hanging_chroma(monkeypatch: pytest.MonkeyPatch) -> Any:
    with black_hole() as url:
        monkeypatch.setenv("DRAFTER_CHROMA_URL", url)
        monkeypatch.setenv("DRAFTER_REQUEST_TIMEOUT", "1")
        yield url


def _one_line_code_4(result: Any, url: str, started: float) -> None:
    assert time.monotonic() - started < 5
    assert result.code == 4
    assert result.err == (
        f"drafter: error: Chroma server at {url} does not answer within 1 s "
        "(DRAFTER_CHROMA_URL, DRAFTER_REQUEST_TIMEOUT)\n"
    )


@pytest.mark.parametrize("args", [["search", "knee pain after running"], ["ingest", "--sample"]])
def test_search_and_ingest_give_up_on_a_hanging_chroma(
    run_cli: RunCli, hanging_chroma: str, args: list[str]
) -> None:
    started = time.monotonic()
    _one_line_code_4(run_cli(*args, "-q") if args[0] == "ingest" else run_cli(*args),
                     hanging_chroma, started)  # fmt: skip


def test_approve_on_a_hanging_chroma_stands_and_audits_the_failed_publish(
    run_cli: RunCli, desk: Desk, hanging_chroma: str
) -> None:
    q = desk.workflow.add_question(desk.doctor, GOUT)
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(GOUT))
    started = time.monotonic()
    result = run_cli("approve", str(q.id), "--user", "doctor")
    assert time.monotonic() - started < 5
    assert result.code == 4
    assert result.out == f"question #{q.id}: reply of version 1 approved by Dr. Ana Ruiz\n"
    assert result.err.splitlines()[-1] + "\n" == (
        "drafter: error: approved, but not added to the knowledge base (Chroma server at "
        f"{hanging_chroma} does not answer within 1 s (DRAFTER_CHROMA_URL, "
        "DRAFTER_REQUEST_TIMEOUT)); approve again to retry\n"
    )
    assert desk.workflow.question(q.id).status == "approved"
    [event] = [e for e in desk.workflow.audit(question_id=q.id) if e.action == "publish.failed"]
    assert "does not answer within 1 s" in event.detail["error"]


def test_a_password_in_the_chroma_url_is_never_printed(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://kb-user:kb-pass-5150@127.0.0.1:{free_port()}"
    monkeypatch.setenv("DRAFTER_CHROMA_URL", url)
    result = run_cli("stats")
    assert result.code == 4
    assert "kb-pass-5150" not in result.err
    assert "http://kb-user:***@127.0.0.1" in result.err


def test_a_key_echoed_by_the_model_server_is_nowhere(
    run_cli: RunCli, desk: Desk, sample_kb: SampleKb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not on stderr, not in the saved draft's details, not in the audit log."""
    key = "sk-live-do-not-store-8086"
    with misbehaving_openai(Misbehaviour(echo_auth_401=True)) as url:
        for name, value in {
            "DRAFTER_DATA_DIR": str(sample_kb.settings.data_dir),
            "DRAFTER_LLM_BACKEND": "openai",
            "DRAFTER_OPENAI_BASE_URL": url,
            "DRAFTER_OPENAI_API_KEY": key,
        }.items():
            monkeypatch.setenv(name, value)
        q = desk.workflow.add_question(desk.doctor, GOUT)
        result = run_cli("questions", "draft", str(q.id), "--user", "doctor")
    assert result.code == 4
    assert "Bearer ***" in result.err
    shown = run_cli("questions", "show", str(q.id), "--json").out
    audit = run_cli("audit", "--json").out
    details = json.dumps([v.details for v in desk.workflow.versions(q.id)])
    for text in (result.out, result.err, shown, audit, details):
        assert key not in text
    assert "Bearer ***" in details
