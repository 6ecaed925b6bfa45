"""Add a new batch of labelled triage messages to the splits, once:
`python -m drafter.triage.split BATCH.jsonl [BATCH.jsonl ...]`.

Each batch is split the way the first one was: stratified by the first label (hard negatives by
the category they resemble, routine questions on their own), each stratum sorted by the SHA-1 of
the id, then positions 0-2 of every 5 go to train, 3 to dev and 4 to test. Routine questions go
to the `routine_*` files. A batch is split before anything is tuned on it, and an id already in
the splits is refused, so a batch cannot be split twice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from drafter.triage.train import SETS, read

PARTS = ("train", "train", "train", "dev", "test")


def stratum(row: dict[str, Any]) -> str:
    if row.get("kind") == "routine":
        return "routine"
    flags = row.get("red_flags") or []
    return str(flags[0]) if flags else f"near:{row.get('near') or ''}"


def assign(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Split file name (`train`, `routine_dev`, …) to the rows it gets."""
    strata: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        strata.setdefault(stratum(row), []).append(row)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, group in sorted(strata.items()):
        group.sort(key=lambda r: hashlib.sha1(str(r["id"]).encode()).hexdigest())
        for i, row in enumerate(group):
            part = PARTS[i % len(PARTS)]
            out.setdefault(f"routine_{part}" if name == "routine" else part, []).append(row)
    return out


def append_batches(paths: Sequence[Path], sets: Path = SETS) -> dict[str, int]:
    """Split the batches and append them to the files in `sets`; how many rows each file got."""
    known = {str(r["id"]) for f in sets.glob("*.jsonl") for r in read(f)}
    rows = [r for path in paths for r in read(path)]
    ids = [str(r["id"]) for r in rows]
    again = sorted({i for i in ids if i in known or ids.count(i) > 1})
    if again:
        raise SystemExit(f"ids already split or repeated: {', '.join(again[:10])}")
    counts = {}
    for name, group in assign(rows).items():
        with (sets / f"{name}.jsonl").open("a", encoding="utf-8") as out:
            for row in group:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts[name] = len(group)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batches", nargs="+", type=Path, help="JSON Lines files of new messages")
    args = parser.parse_args(argv)
    for name, n in sorted(append_batches(args.batches).items()):
        print(f"{name}.jsonl: +{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
