"""The labelled triage set: each batch sits where the split rule puts it, a batch cannot be split
twice, and the classifier's thresholds are tuned leaving one writer out at a time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from drafter.triage.split import append_batches, assign
from drafter.triage.train import SETS, read, writer, writer_folds

# The batches as they were written: the writers' id prefixes (README.md tells who they were).
BATCHES = (("a", "b", "c", "r"), ("d", "e"), ("f",), ("g",))


def all_rows() -> dict[str, tuple[str, dict[str, Any]]]:
    return {str(r["id"]): (f.stem, r) for f in SETS.glob("*.jsonl") for r in read(f)}


def test_every_batch_sits_where_the_split_rule_puts_it() -> None:
    rows = all_rows()
    seen = set()
    for batch in BATCHES:
        members = [r for _, r in rows.values() if writer(r) in batch]
        placed = {str(r["id"]): name for name, group in assign(members).items() for r in group}
        assert placed == {i: rows[i][0] for i in placed}
        seen |= set(placed)
    assert seen == set(rows)  # no message outside a known batch


def test_dev_and_test_hold_every_category_and_hard_negatives() -> None:
    from drafter.triage.categories import categories

    rows = all_rows()
    for split in ("dev", "test"):
        members = [r for name, r in rows.values() if name == split]
        flags = {str(f) for r in members for f in r.get("red_flags") or []}
        assert flags == set(categories()), split
        assert sum(1 for r in members if r["kind"] == "hard_negative") >= 50, split


def test_a_batch_is_split_once(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    shutil.copytree(SETS, sets, ignore=shutil.ignore_patterns("*.md"))
    batch = tmp_path / "new.jsonl"
    new = [
        {"id": f"z-chest_pain-{i}", "question": f"tight chest {i}", "red_flags": ["chest_pain"],
         "kind": "positive", "evidence": ["tight chest"]}
        for i in range(5)
    ]  # fmt: skip
    batch.write_text("".join(json.dumps(r) + "\n" for r in new), encoding="utf-8")
    before = {f.name: len(read(f)) for f in sets.glob("*.jsonl")}
    assert append_batches([batch], sets) == {"train": 3, "dev": 1, "test": 1}
    after = {f.name: len(read(f)) for f in sets.glob("*.jsonl")}
    assert after["train.jsonl"] - before["train.jsonl"] == 3
    with pytest.raises(SystemExit, match="z-chest_pain-"):
        append_batches([batch], sets)
    assert {f.name: len(read(f)) for f in sets.glob("*.jsonl")} == after


def test_out_of_fold_scores_leave_one_writer_out() -> None:
    rows = [
        {"id": "a-1", "kind": "positive"},
        {"id": "a-2", "kind": "hard_negative"},
        {"id": "b-1", "kind": "positive"},
        {"id": "b-r-1", "kind": "routine"},
        {"id": "r-1", "kind": "routine"},
        {"id": "r-2", "kind": "routine"},
    ]
    assert writer_folds(rows) == [0, 0, 1, 1, 0, 1]


def test_held_out_batches_stay_out_of_the_splits() -> None:
    """The fresh batches (knowledge/eval/triage/fresh/) are read by nothing that trains or tunes:
    none of their ids is in a split, and each line is a labelled line whose evidence is the
    patient's own words."""
    split = set(all_rows())
    held = sorted((SETS / "fresh").glob("*.jsonl"))
    assert len(held) >= 2
    for path in held:
        rows = read(path)
        assert not {str(r["id"]) for r in rows} & split, path.name
        for row in rows:
            assert row["kind"] in {"positive", "hard_negative", "routine"}, row["id"]
            assert bool(row["red_flags"]) == (row["kind"] == "positive"), row["id"]
            assert all(e in row["question"] for e in row.get("evidence") or []), row["id"]
