"""Triage from the command line: the findings of one question or of a file of questions
(`triage`; `triage export` writes the doctors' reviewed findings, see `triage_export`), and triage
measured on a labelled set (`eval-triage`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.cli.progress import TqdmProgress
from drafter.cli.registry import command
from drafter.cli.triage_export import export_reviews
from drafter.core.errors import InputError
from knowledge.importers import ImportIssue, read_rows
from knowledge.retrieval import check_query

if TYPE_CHECKING:
    from drafter.services import Services
    from drafter.triage.findings import Triage


def _triage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "text",
        nargs="?",
        metavar="TEXT|export",
        help="the patient's question (or use --file); the word `export` writes the doctors' "
        "confirmed and dismissed findings instead",
    )
    p.add_argument(
        "--file",
        type=Path,
        help="a JSON Lines file of questions: reads `question` (and `id`) of each line",
    )
    p.add_argument("--json", action="store_true", help="JSON (with --file: one line per input)")
    p.add_argument("--out", type=Path, help="with export: write to this file instead of stdout")


def _show(result: Triage) -> str:
    lines = [] if result.findings else ["no red flags found"]
    for f in result.findings:
        lines.append(f"{f.urgency.upper():<10} {f.label} [{f.category}]")
        lines.append(f"           “{f.matched}” (found by {f.layer}, confidence {f.confidence})")
    for layer, error in result.errors.items():
        lines.append(f"(the {layer} layer failed, its findings are missing: {error})")
    return "\n".join(lines)


def _record(result: Triage) -> dict[str, Any]:
    """The JSON of one triage: its findings, and `errors` by layer when a layer failed."""
    record: dict[str, Any] = {"findings": [f.to_json() for f in result.findings]}
    return {**record, "errors": result.errors} if result.errors else record


@command(
    "triage",
    help="find red flags in a patient's question (before anything else runs)",
    description="Prints each finding: category, urgency, the patient's words that triggered it "
    "(character spans in --json), a confidence and the layer that found it; a layer that "
    "failed (the LLM layer's model server, say) is named with why, and --json adds "
    '"errors": {layer: why}. With --file, one JSON line per input line ({"id": ..., '
    '"findings": [...]}); a broken line is reported with its number and the rest are triaged. '
    "`drafter triage export [--out FILE]` writes every question a doctor reviewed as a "
    "labelled set for eval-triage: `red_flags` the confirmed categories, `dismissed` the "
    "others with their reasons.",
    arguments=_triage_arguments,
)
def cmd_triage(args: argparse.Namespace, services: Services) -> int:
    if args.text == "export" and args.file is None:
        return export_reviews(args.out, services)
    if args.out is not None:
        raise InputError("--out goes with `drafter triage export`")
    triager = services.triager()
    limit = services.settings.max_question_chars
    if args.file is None:
        if args.text is None:
            raise InputError("give the question's text, or --file QUESTIONS.jsonl")
        result = triager(check_query(args.text, limit))
        if args.json:
            print(json.dumps(_record(result)))
        else:
            print(_show(result))
        return 0
    if args.text is not None:
        raise InputError("give either the question's text or --file, not both")
    problems = 0
    for line, row in read_rows(args.file):
        if isinstance(row, ImportIssue):
            print(f"drafter: skipped {row}", file=sys.stderr)
            problems += 1
            continue
        try:
            text = check_query(str(row.get("question") or ""), limit)
        except InputError as exc:
            print(f"drafter: skipped {ImportIssue(args.file, line, str(exc))}",
                  file=sys.stderr)  # fmt: skip
            problems += 1
            continue
        result = triager(text)
        record = {"id": row.get("id", line), **_record(result)}
        print(json.dumps(record) if args.json else f"{record['id']}: {_show(result)}")
    return 0


def _eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("set", type=Path, metavar="SET.jsonl", help="messages labelled with red_flags")
    p.add_argument("--json", action="store_true", help="the whole report as JSON")
    p.add_argument(
        "--layers",
        help="measure only these layers, e.g. lexicon, semantic or llm (llm when "
        "DRAFTER_TRIAGE_LLM is on; default: all of them)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@command(
    "eval-triage",
    help="measure triage on a labelled set: recall per category, false alarms, latency",
    description="Runs triage on every message of SET.jsonl that carries a `red_flags` label "
    "(a list of categories; [] marks a message with none) and reports recall per category, "
    "any-flag recall, false alarms and latency p50/p95, then lists every missed and "
    "false-alarm case. A broken line is reported with its number and the rest are used.",
    arguments=_eval_arguments,
)
def cmd_eval_triage(args: argparse.Namespace, services: Services) -> int:
    from drafter.evaluation.sets import load_eval_set
    from drafter.evaluation.triage import evaluate_triage, format_report
    from drafter.triage.stage import Triager

    evalset = load_eval_set(args.set)
    triager = services.triager()
    if args.layers:
        wanted = [name.strip() for name in args.layers.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(triager.layers))
        if unknown or not wanted:
            off = "" if "llm" in triager.layers else " (llm needs DRAFTER_TRIAGE_LLM=true)"
            raise InputError(
                f"--layers takes a list of {', '.join(triager.layers)}{off}; got {args.layers!r}"
            )
        triager = Triager({name: triager.layers[name] for name in wanted})
    triager("warm up")  # load the models before the clock starts
    report = evaluate_triage(evalset, triager, progress=TqdmProgress(args.quiet or args.json))
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
