"""The knowledge base commands: build it (ingest), search it, count it (stats), measure its
retrieval on labelled pairs (eval-retrieval)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from drafter.cli.progress import TqdmProgress
from drafter.cli.registry import command
from drafter.core.errors import InputError
from drafter.core.records import Filters

if TYPE_CHECKING:
    from drafter.services import Services


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise InputError(f"--map takes FIELD=COLUMN, got {pair!r}")
        out[field.strip()] = column.strip()
    return out


def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (.jsonl, .csv)")
    p.add_argument("--sample", action="store_true", help="also import the shipped sample KB")
    p.add_argument(
        "--format",
        default="auto",
        help="auto (default), drafter, medquad-articles, medquad-qa, doctor-qa, liveqa, "
        "covid-faq, question-answer",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="generic CSV/JSONL: which column holds a field, e.g. --map question=body",
    )
    p.add_argument("--kind", choices=["qa", "faq"], help="with --map: what the rows are")
    p.add_argument("--limit", type=int, help="import at most N rows per file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@command(
    "ingest",
    help="import Q&As and FAQ articles into the knowledge base",
    description="Import JSONL/CSV files (upsert by id: re-importing is safe). "
    "A broken line is reported with its file and line number; the rest lands.",
    arguments=_ingest_arguments,
)
def cmd_ingest(args: argparse.Namespace, services: Services) -> int:
    from knowledge import sample_files
    from knowledge.ingest import ingest_files

    paths = [Path(p) for p in args.paths]
    if args.sample:
        paths += sample_files()
    if not paths:
        raise InputError("nothing to import: give PATH... or --sample")
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded += sorted([*path.glob("*.jsonl"), *path.glob("*.csv")])
        elif path.is_file():
            expanded.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    retriever = services.retriever(store=services.store(create=True))
    reports = ingest_files(
        retriever,
        expanded,
        fmt=args.format,
        mapping=_mapping(args.map) or None,
        kind=args.kind,
        limit=args.limit,
        progress=TqdmProgress(args.quiet),
    )
    failed = 0
    for report in reports:
        for issue in report.issues[:20]:
            print(f"skipped {issue}", file=sys.stderr)
        if len(report.issues) > 20:
            print(f"... and {len(report.issues) - 20} more in {report.path}", file=sys.stderr)
        failed += len(report.issues)
        rate = report.imported / report.seconds if report.seconds else 0.0
        print(
            f"{report.path}: {report.qa} Q&As, {report.faq} FAQ articles imported, "
            f"{len(report.issues)} skipped ({rate:,.0f}/s)"
        )
    store = retriever.store
    print(f"store {store.location}: {store.count('qa')} Q&As, {store.count('faq')} FAQ chunks")
    return 1 if failed and not any(r.imported for r in reports) else 0


def _search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question")
    p.add_argument("--specialty", help="only this specialty, e.g. Orthopedics")
    p.add_argument("--age", help="only this age group, e.g. 70-79")
    p.add_argument("--sex", help="only this sex: female, male, other")
    p.add_argument("-k", type=int, help="how many Q&As (default DRAFTER_SIMILAR_K)")
    p.add_argument("-m", type=int, help="how many FAQ articles (default DRAFTER_FAQ_K)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


@command(
    "search",
    help="find similar past Q&As and related FAQ articles",
    description="Hybrid search (meaning + words) over the knowledge base.",
    arguments=_search_arguments,
)
def cmd_search(args: argparse.Namespace, services: Services) -> int:
    from drafter.cli.render import print_hits

    settings = services.settings
    retriever = services.retriever()
    try:
        filters = Filters(args.specialty, args.age, args.sex)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    k, m = args.k or settings.similar_k, args.m or settings.faq_k
    if args.mode == "hybrid":
        result = retriever.page(args.question, filters=filters, k=k, m=m)
        qa, faq, seconds = result.similar_qa, result.related_faq, result.seconds
    else:
        qa = retriever.search(args.question, kind="qa", k=k, filters=filters, mode=args.mode)
        faq_filters = Filters(specialty=filters.specialty)
        faq = retriever.search(args.question, kind="faq", k=m, filters=faq_filters, mode=args.mode)
        seconds = 0.0
    if args.json:
        print(
            json.dumps(
                {
                    "query": args.question.strip(),
                    "mode": args.mode,
                    "similar_qa": [h.to_json() for h in qa],
                    "related_faq": [h.to_json() for h in faq],
                    "seconds": round(seconds, 4),
                },
                indent=2,
            )
        )
    else:
        print_hits("Similar Q&A", qa)
        print_hits("Related FAQ", faq)
        if seconds:
            print(f"{seconds * 1000:.0f} ms", file=sys.stderr)
    return 0


def _stats_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


@command("stats", help="what the knowledge base holds", arguments=_stats_arguments)
def cmd_stats(args: argparse.Namespace, services: Services) -> int:
    from knowledge.stats import collect_stats, format_stats

    stats = collect_stats(services.store())
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


def _eval_retrieval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pairs", metavar="PAIRS.jsonl")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, help="use only the first N groups")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@command(
    "eval-retrieval",
    help="score BM25, dense and hybrid on labelled pairs",
    description="Indexes every question_2 into a throw-away store, queries "
    "with each question_1 and reports recall@1, recall@5, MRR and the share "
    "of groups where the label-1 partner ranks above the label-0 one.",
    arguments=_eval_retrieval_arguments,
)
def cmd_eval_retrieval(args: argparse.Namespace, services: Services) -> int:
    from drafter.evaluation.retrieval import dumps, evaluate_pairs, format_report

    report = evaluate_pairs(
        Path(args.pairs),
        services.embedder(),
        fusion=services.fusion,
        progress=TqdmProgress(args.quiet or args.json),
        limit=args.limit,
    )
    print(dumps(report) if args.json else format_report(report))
    return 0
