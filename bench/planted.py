"""Planted errors: how often the evidence check marks a planted wrong sentence, per kind, and how
often it marks an untouched one; and what checking a page costs.

    .venv/bin/python bench/planted.py build   # rewrite knowledge/eval/planted.jsonl from the sample
    .venv/bin/python bench/planted.py [--split test]

The set in the repo is built from the sample knowledge base (each Q&A's answer, cited to itself as
source [1], two other answers as [2] and [3]). K-QA dev (../shared) adds cases at run time whose
sources are the physicians' must-have and nice-to-have statements, so support there is a
paraphrase, not a copy. Figures are per split; the check was tuned on `dev` only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import need_shared, percentiles  # noqa: E402
from drafter.core.settings import load_settings  # noqa: E402
from drafter.drafting.evidence import EvidenceChecker, SentenceCheck, SourceText  # noqa: E402
from drafter.drafting.judge import EvidenceJudge  # noqa: E402
from drafter.evaluation.planted import (  # noqa: E402
    EXPECTED,
    KINDS,
    Answered,
    PlantedCase,
    plant_all,
)
from drafter.services import Services  # noqa: E402
from knowledge import sample_files  # noqa: E402

SET = Path(__file__).resolve().parents[1] / "knowledge" / "eval" / "planted.jsonl"


def _asked(row: dict[str, object]) -> str:
    extra = " ".join(str(row.get(k) or "") for k in ("age_group", "sex"))
    return f"{row['question']} {extra}".strip()


def sample_items(services: Services) -> list[Answered]:
    rows = [
        json.loads(line)
        for path in sample_files()
        if path.name.startswith("qa")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    triager = services.triager()
    items = []
    for row in rows:
        rng = random.Random(row["id"])
        same = [r for r in rows if r["id"] != row["id"] and r["specialty"] == row["specialty"]]
        pool = same if len(same) >= 2 else [r for r in rows if r["id"] != row["id"]]
        neighbours = rng.sample(pool, 2)
        other = [r for r in rows if r["specialty"] != row["specialty"]]
        borrowed = rng.sample(other, min(6, len(other)))
        items.append(
            Answered(
                row["id"],
                _asked(row),
                row["answer"],
                [row["answer"], *(n["answer"] for n in neighbours)],
                [t for r in borrowed for t in (r["question"], r["answer"])],
                flagged=bool(triager(_asked(row)).findings),
            )
        )
    return items


def kqa_items(services: Services) -> list[Answered]:
    path = need_shared("kqa", "kqa_dev.jsonl")
    if path is None:
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = [r for r in rows if r.get("answer") and r.get("must_have")]
    triager = services.triager()
    items = []
    for row in rows:
        rng = random.Random(row["id"])
        borrowed = rng.sample([r for r in rows if r["id"] != row["id"]], 6)
        statements = [*row["must_have"], *(row.get("nice_to_have") or [])]
        backing = [_statements(statements), *(_statements(r["must_have"]) for r in borrowed[:2])]
        items.append(
            Answered(
                row["id"],
                row["question"],
                row["answer"],
                backing,
                [t for r in borrowed for t in (r["question"], r["answer"])],
                flagged=bool(triager(row["question"]).findings),
            )
        )
    return items


def _statements(statements: list[str]) -> str:
    return " ".join(s.strip().rstrip(".") + "." for s in statements)


def load(path: Path) -> list[PlantedCase]:
    return [
        PlantedCase(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def evaluate(
    checker: EvidenceChecker, cases: list[PlantedCase], judge: EvidenceJudge | None = None
) -> tuple[dict, list[float]]:
    caught: dict[str, Counter[str]] = defaultdict(Counter)
    untouched: Counter[str] = Counter()
    seconds = []
    for case in cases:
        sources = [SourceText(int(s["n"]), str(s["text"])) for s in case.sources]
        started = time.perf_counter()
        checks = checker.check(
            {"reply": case.reply}, asked=case.asked, sources=sources, flagged=case.flagged
        )
        if judge is not None:
            checks = judge(checks)
        seconds.append(time.perf_counter() - started)
        planted = _planted(checks, case.planted)
        tally = caught[case.kind]
        tally["cases"] += 1
        if planted is not None:
            tally["marked"] += planted.to_check
            tally["expected"] += planted.verdict == EXPECTED.get(case.kind, planted.verdict)
            tally[planted.verdict] += 1
        for check in checks:
            if check is not planted:
                untouched["sentences"] += 1
                untouched["marked"] += check.to_check
                untouched[check.verdict] += 1
    return {"kinds": caught, "untouched": untouched}, seconds


def _planted(checks: list[SentenceCheck], planted: str) -> SentenceCheck | None:
    """The check of the planted sentence (the one that overlaps it most)."""
    words = set(planted.lower().split())
    best = max(checks, key=lambda c: len(words & set(c.text.lower().split())), default=None)
    return best


def report(name: str, found: dict, seconds: list[float]) -> None:
    print(f"\n== {name} ==")
    print(f"{'kind':18} {'cases':>5} {'marked':>7} {'as kind':>8}  planted sentence's verdicts")
    for kind in KINDS:
        tally = found["kinds"].get(kind)
        if not tally:
            continue
        n = tally["cases"]
        verdicts = {v: c for v, c in tally.items() if v not in ("cases", "marked", "expected")}
        expected = f"{tally['expected'] / n:8.0%}" if kind in EXPECTED else f"{'-':>8}"
        print(f"{kind:18} {n:5d} {tally['marked'] / n:7.0%} {expected}  {dict(verdicts)}")
    u = found["untouched"]
    share = u["marked"] / max(1, u["sentences"])
    verdicts = {v: c for v, c in u.items() if v not in ("sentences", "marked")}
    print(f"untouched sentences: {u['sentences']}, marked {share:.1%}  {verdicts}")
    p50, p95 = percentiles(seconds)
    print(f"check per page: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "build"))
    parser.add_argument("--split", default="test", help="dev, test or all")
    parser.add_argument(
        "--judge",
        action="store_true",
        help="also run the LLM judge (DRAFTER_CHECK_JUDGE) on the configured chat model",
    )
    args = parser.parse_args()
    services = Services(load_settings(**({"check_judge": True} if args.judge else {})))
    judge = services.evidence_judge()
    if args.command == "build":
        cases = plant_all(sample_items(services))
        SET.write_text("".join(json.dumps(c.to_json()) + "\n" for c in cases), encoding="utf-8")
        print(f"wrote {len(cases)} cases to {SET}: {dict(Counter(c.kind for c in cases))}")
        return 0
    checker = EvidenceChecker(services.embedder())
    checker.vectors(["warm-up"])
    sets = {"sample": load(SET), "kqa": plant_all(kqa_items(services))}
    for name, cases in sets.items():
        chosen = [c for c in cases if args.split in ("all", c.split)]
        if chosen:
            found, seconds = evaluate(checker, chosen, judge)
            report(f"{name} ({args.split}, {len(chosen)} cases)", found, seconds)
    # a re-check after an edit: one sentence changed, the rest cached
    case = sets["sample"][0]
    sources = [SourceText(int(s["n"]), str(s["text"])) for s in case.sources]
    edited = case.reply.replace(case.planted, "Rest and ice help in the first days.")
    started = time.perf_counter()
    checker.check({"reply": edited}, asked=case.asked, sources=sources, flagged=case.flagged)
    print(f"\nre-check after a one-sentence edit: {(time.perf_counter() - started) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
