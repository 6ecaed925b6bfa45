"""Resuming `drafter eval` after a crash or an edited set (issue 11, point 7): the new line never
glues onto a line the crash cut short, and a draft of a changed question is drafted again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from drafter.evaluation.sets import load_eval_set
from drafter.jobs.evaluate import DRAFTS_FILE, DraftRecord, draft_all

SMALL = Path(__file__).parents[1] / "data" / "eval_small.jsonl"
RUN = {"model": "m", "prompts": {}}


def _drafter(calls: list[str]) -> Any:
    def draft_one(item: Any) -> DraftRecord:
        calls.append(item.id)
        return DraftRecord(item.id, {"reply": f"Reply to {item.question[:20]}."}, 0.1, 3)

    return draft_one


def test_a_line_cut_short_by_a_crash_is_drafted_again_on_a_line_of_its_own(
    tmp_path: Path,
) -> None:
    evalset = load_eval_set(SMALL)
    draft_all(evalset.items, _drafter([]), out_dir=tmp_path, run=RUN)
    path = tmp_path / DRAFTS_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) - 25], encoding="utf-8")  # killed mid-write of the last
    calls: list[str] = []
    done, drafted = draft_all(evalset.items, _drafter(calls), out_dir=tmp_path, run=RUN)
    assert calls == [evalset.items[-1].id]
    assert (len(done), drafted) == (4, 1)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [row.get("id") for row in rows[1:]] == [item.id for item in evalset.items]


def test_a_question_changed_in_the_set_is_drafted_again(tmp_path: Path) -> None:
    changed = tmp_path / "set.jsonl"
    shutil.copy(SMALL, changed)
    evalset = load_eval_set(changed)
    out = tmp_path / "run"
    draft_all(evalset.items, _drafter([]), out_dir=out, run=RUN)
    lines = changed.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["question"] = "A different question about a swollen ankle after a long flight?"
    changed.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    edited = load_eval_set(changed)
    calls: list[str] = []
    done, drafted = draft_all(edited.items, _drafter(calls), out_dir=out, run=RUN)
    assert calls == [edited.items[0].id]
    assert drafted == 1
    assert done[edited.items[0].id].draft["reply"] == "Reply to A different question."
