"""`drafter eval-triage`: triage on a labelled set (our JSONL with `red_flags`), scored with the
same red-flag measures as `drafter eval`: recall per category, any-flag recall, false alarms,
latency, and every missed and false-alarm case listed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drafter.core.progress import NoProgress, Progress
from drafter.evaluation.measures import quantile, red_flag_score
from drafter.evaluation.sets import EvalSet
from drafter.triage.findings import Triage


def evaluate_triage(
    evalset: EvalSet, triage: Callable[[str], Triage], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Run triage on every labelled item; unlabelled items are skipped."""
    progress = progress or NoProgress()
    items = [i for i in evalset.items if i.red_flags is not None]
    progress.start(len(items), "triage")
    rows, seconds = [], []
    for item in items:
        started = time.perf_counter()
        result = triage(item.question)
        seconds.append(time.perf_counter() - started)
        rows.append((item, result))
        progress.advance()
    progress.finish()
    score = red_flag_score((item.red_flags, result.categories) for item, result in rows)
    missed = [
        {"id": item.id, "expected": list(item.red_flags or ()), "found": result.categories,
         "question": item.question}
        for item, result in rows
        if set(item.red_flags or ()) - set(result.categories)
    ]  # fmt: skip
    false_alarms = [
        {
            "id": item.id,
            "found": result.categories,
            "question": item.question,
            "findings": [f.to_json() for f in result.findings],
        }
        for item, result in rows
        if not item.red_flags and result.findings
    ]
    p50, p95 = quantile(seconds, 0.5), quantile(seconds, 0.95)
    failed: dict[str, int] = {}  # messages each layer failed on (only the others ran there)
    for _, result in rows:
        for layer in result.errors:
            failed[layer] = failed.get(layer, 0) + 1
    return {
        "set": str(evalset.path),
        "items": len(rows),
        "positives": score.positives,
        "negatives": score.negatives,
        "any_flag_recall": score.any_flag_recall,
        "recall": score.recall,
        "false_alarm_rate": score.false_alarm_rate,
        "per_category": {
            c: {"expected": n, "found": k, "recall": round(k / n, 4)}
            for c, n, k in score.by_category
        },
        "latency_ms": {
            "p50": round(p50 * 1000, 2) if p50 is not None else None,
            "p95": round(p95 * 1000, 2) if p95 is not None else None,
        },
        "layer_errors": failed,
        "skipped_lines": [str(i) for i in evalset.issues],
        "missed": missed,
        "false_alarms": false_alarms,
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as a terminal table, then the missed and false-alarm cases."""
    lines = [
        f"{report['items']} labelled messages ({report['positives']} with a red flag, "
        f"{report['negatives']} without)",
        f"any-flag recall {report['any_flag_recall']}  category recall {report['recall']}  "
        f"false alarms {report['false_alarm_rate']}  "
        f"latency p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms",
        "",
        f"{'category':<28} {'found':>5} / {'of':<4} recall",
    ]
    for category, row in report["per_category"].items():
        lines.append(f"{category:<28} {row['found']:>5} / {row['expected']:<4} {row['recall']:.2f}")
    for title, cases in (("missed", report["missed"]), ("false alarms", report["false_alarms"])):
        lines += ["", f"{title} ({len(cases)}):"]
        for case in cases:
            lines.append(
                f"  {case['id']}: expected {case.get('expected', [])}, found {case['found']}"
            )
            lines.append(f"    {case['question'][:160]}")
    for layer, count in report["layer_errors"].items():
        lines.append(f"the {layer} layer failed on {count} message(s); the others' findings count")
    for line in report["skipped_lines"]:
        lines.append(f"skipped: {line}")
    return "\n".join(lines)
