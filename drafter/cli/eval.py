"""The `drafter eval` command: draft a held-out question set and report automated measures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.cli.progress import TqdmProgress
from drafter.cli.registry import command
from drafter.core.errors import InputError

if TYPE_CHECKING:
    from drafter.services import Services

SHOWN = (
    "complete",
    "errors",
    "citation_validity",
    "groundedness",
    "supported",
    "cited_supported",
    "about_the_patient",
    "reference_similarity",
    "rouge_l",
    "comprehensiveness",
    "hallucination",
    "red_flag_recall",
    "grade_level",
    "latency_p50",
)


def _eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", metavar="FILE", help="the question set (.jsonl)")
    p.add_argument("--out", metavar="DIR", required=True, help="folder for the report")
    p.add_argument("--backend", choices=["local", "openai"], help="default DRAFTER_LLM_BACKEND")
    p.add_argument(
        "--prompt",
        action="append",
        metavar="SPEC",
        help="prompt versions: vN (each part's newest version up to N) and/or PART=N "
        "(title, reply, explainer), comma-separated or repeated, e.g. v2 or reply=1,explainer=2; "
        "default the newest",
    )
    p.add_argument(
        "--parts",
        default="title,reply,explainer",
        help="parts to draft (default all; 'reply' alone is quicker)",
    )
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="DIR",
        help="put an earlier run's report beside this one (repeatable)",
    )
    p.add_argument(
        "--report",
        nargs="+",
        metavar="DIR",
        help="no drafting: render these runs' reports side by side into --out",
    )
    p.add_argument("--fresh", action="store_true", help="discard DIR's finished drafts")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@command(
    "eval",
    help="draft a held-out question set and report automated quality measures",
    description="Drafts an answer for every question of a set with reference answers "
    "(K-QA, TREC LiveQA, MedicationQA, doctor_qa or our JSONL schema, see "
    "drafter/evaluation/sets.py) and writes DIR/report.json and a self-contained DIR/report.html: "
    "citation validity, groundedness, similarity to the reference, reading grade, length, "
    "red-flag recall, latency and, for sets with gold statements, K-QA comprehensiveness "
    "and contradictions. Finished drafts are kept in DIR/drafts.jsonl: rerunning resumes. "
    "--report DIR1 DIR2 re-renders earlier runs side by side without drafting.",
    arguments=_eval_arguments,
)
def cmd_eval(args: argparse.Namespace, services: Services) -> int:
    from drafter.evaluation.report import comparison, load_report, write_report

    out = Path(args.out)
    if args.report:
        if args.set:
            raise InputError("give --set (draft and score) or --report (re-render), not both")
        reports = [load_report(Path(d)) for d in args.report]
        json_path, html_path = write_report(reports[0], out, reports[1:])
        _print_summary(comparison(reports))
        print(f"wrote {html_path} and {json_path}")
        return 0
    if not args.set:
        raise InputError("give --set FILE (a question set to draft) or --report DIR...")
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    others = [load_report(Path(d)) for d in args.compare]  # fail before drafting anything

    from drafter.drafting.parts import load_prompt_set
    from drafter.evaluation.sets import load_eval_set
    from drafter.jobs.evaluate import parse_parts, run_eval

    evalset = load_eval_set(Path(args.set), args.limit)
    prompts = load_prompt_set(args.prompt)
    parts = parse_parts(args.parts)
    retriever = services.retriever()
    llm = services.chat_backend(args.backend)
    for issue in evalset.issues[:20]:
        print(f"skipped {issue}", flush=True)
    report = run_eval(
        evalset,
        retriever=retriever,
        llm=llm,
        settings=services.settings,
        prompts=prompts,
        out_dir=out,
        parts=parts,
        progress=TqdmProgress(args.quiet),
        fresh=args.fresh,
        triage=services.triager(),
    )
    json_path, html_path = write_report(report, out, others)
    run = report["run"]
    print(
        f"{len(report['items'])} questions from {evalset.path} ({evalset.format}), "
        f"{run['drafted']} drafted now, {run['resumed']} resumed; {run['model']}, "
        f"{run['workers']} at a time; {run['seconds']:.0f}s"
    )
    _print_summary(comparison([report, *others]))
    print(f"wrote {html_path} and {json_path}")
    errors = report["aggregate"]["errors"]
    if errors:
        print(f"{errors} question(s) failed (see the report); rerun to retry them only")
    return 0 if not errors else 4 if errors == len(report["items"]) else 1


def _print_summary(table: dict[str, Any]) -> None:
    runs, values = table["runs"], table["aggregate"]
    width = max(12, *(len(r) for r in runs))
    print(f"{'measure':<22}" + "".join(f"{r:>{width + 2}}" for r in runs))
    for key in SHOWN:
        cells = "".join(
            f"{'-' if v is None else f'{v:.3f}' if isinstance(v, float) else v:>{width + 2}}"
            for v in values[key]
        )
        print(f"{key:<22}{cells}")
