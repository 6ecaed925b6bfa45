"""The `drafter explain` command: More Info explainers for many stored Q&As, into the editors'
queue; `--status` shows the queue."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING

from drafter.cli.progress import TqdmBatch
from drafter.cli.registry import command
from drafter.cli.workflow import PASSWORD_ENV, _login
from drafter.core.errors import InputError, StoreMissingError
from drafter.workflow.accounts import require

if TYPE_CHECKING:
    from drafter.services import Services
    from drafter.workflow.explainers import ExplainerQueue

SHOWN_FAILURES = 20


def _date(text: str | None, flag: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag} {text!r} is not a date like 2024-01-31") from None


def _explain_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help=f"sign in as this editor or admin (password ${PASSWORD_ENV})")
    p.add_argument("--specialty", help="only Q&As of this specialty, e.g. Cardiology")
    p.add_argument("--since", metavar="DATE", help="only questions asked on or after DATE")
    p.add_argument("--until", metavar="DATE", help="only questions asked on or before DATE")
    p.add_argument(
        "--missing-only",
        action="store_true",
        help="only Q&As without an explainer in the knowledge base",
    )
    p.add_argument(
        "--limit", type=int, help="generate at most N (Q&As already in the queue do not count)"
    )
    p.add_argument("--backend", choices=["local", "openai"], help="default DRAFTER_LLM_BACKEND")
    p.add_argument("--status", action="store_true", help="show the queue's counts and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@command(
    "explain",
    help="generate More Info explainers for stored Q&As (editors)",
    description="Generates a 'More Info' explainer for each stored Q&A that matches the "
    "filters and puts it in the editors' review queue (the app's More Info queue). "
    "Each finished item is saved at once; rerunning skips Q&As already in the queue, so "
    "an interrupted run resumes where it stopped. A remote backend runs "
    "DRAFTER_BATCH_CONCURRENCY items at once, the local model one at a time. "
    "Exit codes: 0 all done, 1 some items failed (rerun to retry them), 4 the backend "
    "is down, 5 a wrong login or role, 130 interrupted.",
    arguments=_explain_arguments,
)
def cmd_explain(args: argparse.Namespace, services: Services) -> int:
    workflow = services.workflow()
    queue = services.explainer_queue()
    if args.status:
        return _status(queue, services)
    from drafter.jobs.explain import Selection, run_batch, select_qas

    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    selection = Selection(
        args.specialty,
        _date(args.since, "--since"),
        _date(args.until, "--until"),
        args.missing_only,
    )
    user = _login(workflow, args.user)
    user = require(workflow.sessions, user, "generate_explainers")  # before loading any model
    store = services.store()
    qas = select_qas(store, selection)
    if not qas:
        print("no stored Q&A matches these filters")
        return 0
    llm = services.chat_backend(args.backend)
    retriever = services.retriever(store=store)
    retriever.embed_query("warm-up")  # load the model now, so the bar's rate is the batch's
    bar = TqdmBatch(args.quiet)
    try:
        report = run_batch(
            queue,
            user,
            qas,
            retriever=retriever,
            llm=llm,
            settings=services.settings,
            limit=args.limit,
            listener=bar,
        )
    finally:
        bar.close()
    how = (
        f"{report.concurrency} in flight" if report.concurrency > 1 else "one at a time"
    ) + f" ({report.model})"
    todo = len(report.done) + len(report.skipped) + len(report.failed) + report.not_started
    print(
        f"{report.selected} Q&As selected, {report.already_done} of them done before; "
        f"{todo} to do, {how}, {report.seconds:.0f}s\n"
        f"done {len(report.done)}"
        + (f" ({len(report.incomplete)} with failed checks)" if report.incomplete else "")
        + f", skipped {report.skipped_total} (already done), "
        f"failed {len(report.failed)}"
        + (f", not started {report.not_started}" if report.not_started else "")
    )
    for qa_id, reason in report.failed[:SHOWN_FAILURES]:
        print(f"  failed {qa_id}: {reason}")
    if len(report.failed) > SHOWN_FAILURES:
        print(f"  ... and {len(report.failed) - SHOWN_FAILURES} more (see `drafter audit`)")
    if report.done:
        print("review them in the app's More Info queue")
    if report.failed or report.not_started:
        print("rerun the same command to continue: finished items are kept and not redone")
    if report.interrupted:
        print("drafter: interrupted", file=sys.stderr)
        return 130
    if report.stopped:
        print(f"drafter: error: {report.stopped}", file=sys.stderr)
        return 4
    return 1 if report.failed else 0


def _status(queue: ExplainerQueue, services: Services) -> int:
    from drafter.jobs.explain import Selection, select_qas

    counts = queue.counts()
    print(
        f"More Info queue: {counts['pending']} pending, {counts['approved']} approved, "
        f"{counts['rejected']} rejected"
    )
    try:
        qas = select_qas(services.store(), Selection())
    except StoreMissingError:
        return 0
    queued = queue.done_ids(qa.id for qa in qas)
    with_text = sum(1 for qa in qas if (qa.explainer or "").strip())
    todo = sum(1 for qa in qas if qa.id not in queued and not (qa.explainer or "").strip())
    print(
        f"knowledge base: {len(qas)} Q&As, {with_text} with an explainer, "
        f"{todo} without one and not yet generated"
    )
    return 0
