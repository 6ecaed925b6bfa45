"""Bad input the probe of issue 11 (point 7) found: one clear line, never a traceback, and the
rest of the work done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import GOUT
from tests.conftest import RunCli
from tests.support.workflow_kit import Desk, ai_draft

pytestmark = pytest.mark.usefixtures("doctor_signed_in")


def test_a_lone_surrogate_skips_its_line_and_the_rest_are_read(
    run_cli: RunCli, desk: Desk, tmp_path: Path
) -> None:
    path = tmp_path / "inbox.jsonl"
    path.write_text(
        '{"question": "My knee hurts when I run \\ud800 every morning, what can I do?"}\n'
        f'{{"question": "{GOUT}"}}\n',
        encoding="utf-8",
    )
    result = run_cli("questions", "add", "--file", str(path), "--user", "doctor")
    assert (result.code, result.out) == (0, "1 questions added, 1 skipped\n")
    assert result.err.startswith(f"skipped {path}:1: ")
    assert "surrogate" in result.err
    assert [q.text for q in desk.workflow.questions()] == [GOUT]


@pytest.mark.parametrize("where", ["folder", "missing/page.md"])
def test_export_out_a_folder_or_a_missing_folder_is_one_clear_line(
    run_cli: RunCli, desk: Desk, tmp_path: Path, where: str
) -> None:
    q = desk.workflow.add_question(desk.doctor, GOUT)
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(GOUT))
    desk.workflow.approve(desk.doctor, q.id, "reply")
    (tmp_path / "folder").mkdir()
    out = tmp_path / where
    result = run_cli("export", str(q.id), "--out", str(out))
    assert result.code == 2
    assert result.err.startswith(f"drafter: error: cannot write --out {out}: ")
    assert result.err.count("\n") == 1
