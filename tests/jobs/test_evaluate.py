"""`drafter eval`'s drafting: drafts.jsonl resumed, failed items drafted again, another run's
file refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from drafter.core.errors import InputError
from drafter.evaluation.sets import load_eval_set
from drafter.jobs.evaluate import DraftRecord, draft_all

SMALL = Path(__file__).parents[1] / "data" / "eval_small.jsonl"


def test_drafting_resumes_and_redoes_only_failed_items(tmp_path: Path) -> None:
    evalset = load_eval_set(SMALL)
    calls: list[str] = []

    def draft_one(item: Any) -> DraftRecord:
        calls.append(item.id)
        if item.id == "reflux" and calls.count("reflux") == 1:
            return DraftRecord(item.id, {"error": "backend went away"}, 0.1, 0)
        if item.id == "stroke-missed" and calls.count("stroke-missed") == 1:
            raise KeyboardInterrupt
        return DraftRecord(item.id, {"reply": f"Reply {item.id}."}, 0.1, 3)

    run = {"model": "m", "prompts": {}}
    with pytest.raises(KeyboardInterrupt):
        draft_all(evalset.items, draft_one, out_dir=tmp_path, run=run)
    assert calls == ["knee", "chest", "stroke-missed"]
    done, drafted = draft_all(evalset.items, draft_one, out_dir=tmp_path, run=run, workers=3)
    assert sorted(calls[3:]) == ["reflux", "stroke-missed"]
    assert (len(done), drafted, done["reflux"].error) == (4, 2, "backend went away")
    done, drafted = draft_all(evalset.items, draft_one, out_dir=tmp_path, run=run)
    assert calls[5:] == ["reflux"]  # the failed one only
    assert (drafted, done["reflux"].error) == (1, None)
    with pytest.raises(InputError, match="drafts of another run"):
        draft_all(evalset.items, draft_one, out_dir=tmp_path, run={"model": "other"})
    _, drafted = draft_all(evalset.items, draft_one, out_dir=tmp_path, run={}, fresh=True)
    assert drafted == 4


def test_ctrl_c_keeps_the_drafts_in_flight(tmp_path: Path) -> None:
    evalset = load_eval_set(SMALL)
    run = {"model": "m", "prompts": {}}

    def interrupted(item: Any) -> DraftRecord:
        if item.id == "chest":
            raise KeyboardInterrupt
        time.sleep(0.2)
        return DraftRecord(item.id, {"reply": f"Reply {item.id}."}, 0.2, 3)

    with pytest.raises(KeyboardInterrupt):
        draft_all(evalset.items, interrupted, out_dir=tmp_path, run=run, workers=2)
    calls: list[str] = []

    def healthy(item: Any) -> DraftRecord:
        calls.append(item.id)
        return DraftRecord(item.id, {"reply": f"Reply {item.id}."}, 0.1, 3)

    done, drafted = draft_all(evalset.items, healthy, out_dir=tmp_path, run=run)
    assert "knee" not in calls  # it was in flight at Ctrl-C: finished and kept
    assert "chest" in calls
    assert (len(done), drafted) == (4, len(calls))
