"""The `drafter` command: build the knowledge base, search it, measure it, draft pages; the
workflow commands (users, inbox, approve, audit, export) live in `cli_workflow`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from drafter import __version__
from drafter.cli import eval as cli_eval
from drafter.cli import explain as cli_explain
from drafter.cli import workflow as cli_workflow
from drafter.core.environment import go_offline
from drafter.core.errors import DrafterError, InputError
from drafter.core.records import Filters
from drafter.core.settings import Settings, load_settings
from drafter.services import Services

Handler = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Handler] = {}
# Modules adding commands: each has COMMANDS (name -> handler) and add_parsers(subparsers).
EXTENSIONS = (cli_workflow, cli_explain, cli_eval)


def command(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        COMMANDS[name] = func
        return func

    return register


class TqdmProgress:
    """The CLI's progress bar (stderr), silent when stderr is not a terminal and quiet is set."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._bar = None

    def start(self, total: int | None, label: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=label, unit="rec", disable=self.quiet, file=sys.stderr)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise InputError(f"--map takes FIELD=COLUMN, got {pair!r}")
        out[field.strip()] = column.strip()
    return out


@command("ingest")
def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
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
    retriever = Services(settings).retriever(store=Services(settings).store(create=True))
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


@command("search")
def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from drafter.cli.render import print_hits

    retriever = Services(settings).retriever()
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


@command("stats")
def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.stats import collect_stats, format_stats

    stats = collect_stats(Services(settings).store())
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


@command("eval-retrieval")
def cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from drafter.evaluation.retrieval import dumps, evaluate_pairs, format_report

    services = Services(settings)
    report = evaluate_pairs(
        Path(args.pairs),
        services.embedder(),
        fusion=services.fusion,
        progress=TqdmProgress(args.quiet or args.json),
        limit=args.limit,
    )
    print(dumps(report) if args.json else format_report(report))
    return 0


class StderrListener:
    """Shows each stage and, on a terminal, the text as it is generated."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self._part = ""

    def on_stage(self, stage: str) -> None:
        print(f"\n[{stage}]" if self.live else f"[{stage}]", file=sys.stderr, flush=True)

    def on_token(self, part: str, text: str) -> None:
        if self.live:
            print(text, end="", file=sys.stderr, flush=True)


@command("draft")
def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    from drafter.backends.factory import make_chat_backend
    from drafter.core.question import PatientQuestion
    from drafter.drafting.page import page_html, page_markdown
    from drafter.drafting.pipeline import draft_page

    question = PatientQuestion.create(args.question, args.age, args.sex, args.specialty)
    retriever = Services(settings).retriever()
    llm = make_chat_backend(settings, args.backend)
    draft = draft_page(
        question,
        retriever=retriever,
        llm=llm,
        settings=settings,
        listener=StderrListener(live=sys.stderr.isatty() and not args.quiet),
    )
    if args.format == "json":
        print(json.dumps(draft.to_json(), indent=2, ensure_ascii=False))
    else:
        print(page_html(draft) if args.format == "html" else page_markdown(draft))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in draft.timings.items())
    print(f"draft {draft.status} in {sum(draft.timings.values()):.1f}s ({timing})", file=sys.stderr)
    if draft.error:
        print(f"drafter: error: {draft.error} (the partial text is above)", file=sys.stderr)
        return 4
    return 0


@command("ui")
def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    return subprocess.call(cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drafter",
        description="Drafts grounded replies for an ask-a-doctor site. Settings come from "
        "DRAFTER_* environment variables or .env (see README).",
    )
    parser.add_argument("--version", action="version", version=f"drafter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "ingest",
        help="import Q&As and FAQ articles into the knowledge base",
        description="Import JSONL/CSV files (upsert by id: re-importing is safe). "
        "A broken line is reported with its file and line number; the rest lands.",
    )
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

    p = sub.add_parser(
        "search",
        help="find similar past Q&As and related FAQ articles",
        description="Hybrid search (meaning + words) over the knowledge base.",
    )
    p.add_argument("question")
    p.add_argument("--specialty", help="only this specialty, e.g. Orthopedics")
    p.add_argument("--age", help="only this age group, e.g. 70-79")
    p.add_argument("--sex", help="only this sex: female, male, other")
    p.add_argument("-k", type=int, help="how many Q&As (default DRAFTER_SIMILAR_K)")
    p.add_argument("-m", type=int, help="how many FAQ articles (default DRAFTER_FAQ_K)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser(
        "draft",
        help="draft a whole page (title, reply, More Info) for a patient question",
        description="Retrieves similar Q&As and FAQ, then drafts a title, a short reply and a "
        "'More Info' explainer that cite them. The output is a DRAFT: nothing is sent.",
    )
    p.add_argument("question")
    p.add_argument("--age", help="asker's age group, e.g. 70-79")
    p.add_argument("--sex", help="asker's sex: female, male, other")
    p.add_argument("--specialty", help="restrict sources to this specialty")
    p.add_argument("--backend", choices=["local", "openai"], help="default DRAFTER_LLM_BACKEND")
    p.add_argument("--format", choices=["md", "json", "html"], default="md")
    p.add_argument("-q", "--quiet", action="store_true", help="no live text on stderr")

    p = sub.add_parser("stats", help="what the knowledge base holds")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "eval-retrieval",
        help="score BM25, dense and hybrid on labelled pairs",
        description="Indexes every question_2 into a throw-away store, queries "
        "with each question_1 and reports recall@1, recall@5, MRR and the share "
        "of groups where the label-1 partner ranks above the label-0 one.",
    )
    p.add_argument("pairs", metavar="PAIRS.jsonl")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, help="use only the first N groups")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    for extension in EXTENSIONS:
        extension.add_parsers(sub)

    p = sub.add_parser("ui", help="start the Streamlit app")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    go_offline()
    try:
        settings = load_settings()
        handlers = {**COMMANDS}
        for extension in EXTENSIONS:
            handlers.update(extension.COMMANDS)
        return handlers[args.command](args, settings)
    except DrafterError as exc:
        print(f"drafter: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("drafter: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
