"""`drafter explain`: More Info explainers for many stored Q&As, resumable after any stop.

The Q&As come from the knowledge base (by specialty, asked date, and whether they have an
explainer). drafter.jobs.runner does them: the local model one item at a time, a remote backend
`DRAFTER_BATCH_CONCURRENCY` items at once (threads). Each finished item is committed to the
editors' queue as it finishes, and a Q&A already in the queue is skipped, so a crash or Ctrl-C
loses nothing and a rerun redoes nothing. A failing item is logged with its reason and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from drafter.core.errors import BackendUnavailableError, DrafterError
from drafter.core.question import PatientQuestion
from drafter.core.records import QAPair, normalize_specialty
from drafter.drafting.draft import Draft
from drafter.drafting.pipeline import draft_page
from drafter.jobs.runner import STOP_AFTER_FAILURES, JobListener, run_job, still_to_do
from drafter.workflow.accounts import User, require
from drafter.workflow.explainers import ExplainerQueue, ExplainerVersion
from knowledge.documents import qa_from_metadata

if TYPE_CHECKING:
    from drafter.backends.base import ChatBackend
    from drafter.core.settings import Settings
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

Outcome = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class Selection:
    """Which stored Q&As a batch covers; None means any."""

    specialty: str | None = None
    since: date | None = None  # asked on or after
    until: date | None = None  # asked on or before
    missing_only: bool = False  # only Q&As without an explainer in the knowledge base

    def where(self) -> dict[str, Any] | None:
        conditions: list[dict[str, Any]] = []
        if self.specialty:
            conditions.append({"specialty": normalize_specialty(self.specialty)})
        if self.since:
            conditions.append({"asked_ord": {"$gte": int(self.since.strftime("%Y%m%d"))}})
        if self.until:
            conditions.append({"asked_ord": {"$lte": int(self.until.strftime("%Y%m%d"))}})
        if len(conditions) > 1:
            return {"$and": conditions}
        return conditions[0] if conditions else None


def select_qas(store: KnowledgeStore, selection: Selection) -> list[QAPair]:
    """The Q&As the selection names, oldest question first (a stable order for reruns)."""
    found = [
        qa_from_metadata(item.metadata)
        for page in store.iter_all("qa", where=selection.where())
        for item in page
    ]
    if selection.missing_only:
        found = [qa for qa in found if not (qa.explainer or "").strip()]
    return sorted(found, key=lambda qa: (qa.asked_date or date.max, qa.id))


def generate_explainer(
    question: PatientQuestion,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    instruction: str | None = None,
) -> Draft:
    """Only the More Info part of a page. For a stored Q&A its own record is the top source, so
    the explainer follows the doctor's answer."""
    return draft_page(
        question,
        retriever=retriever,
        llm=llm,
        settings=settings,
        parts=("explainer",),
        instruction=instruction,
    )


def regenerate(
    queue: ExplainerQueue,
    user: User,
    item_id: int,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    instruction: str | None = None,
) -> ExplainerVersion:
    """A fresh explainer for a queued item (optionally following the editor's instruction)."""
    user = require(queue.sessions, user, "approve_explainer")
    item = queue.item(item_id)
    draft = generate_explainer(
        item.patient_question(),
        retriever=retriever,
        llm=llm,
        settings=settings,
        instruction=instruction,
    )
    return queue.add_regenerated(user, item_id, draft)


@dataclass(frozen=True)
class ItemResult:
    qa_id: str
    outcome: Outcome
    detail: str = ""  # why it failed, or the checks a done item did not pass
    backend_failed: bool = False


# What the CLI's progress bar implements.
BatchListener = JobListener[ItemResult]


@dataclass
class BatchReport:
    selected: int
    already_done: int
    concurrency: int
    model: str
    done: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # done, but some check failed
    skipped: list[str] = field(default_factory=list)  # finished by another run meanwhile
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_started: int = 0
    interrupted: bool = False
    stopped: str | None = None  # why the run gave up early
    seconds: float = 0.0

    @property
    def skipped_total(self) -> int:
        """Q&As left alone as already queued: before the run, or by another run meanwhile."""
        return self.already_done + len(self.skipped)

    def add(self, result: ItemResult) -> None:
        if result.outcome == "done":
            self.done.append(result.qa_id)
            if result.detail:
                self.incomplete.append(result.qa_id)
        elif result.outcome == "skipped":
            self.skipped.append(result.qa_id)
        else:
            self.failed.append((result.qa_id, result.detail))


def batch_concurrency(llm: ChatBackend, settings: Settings) -> int:
    """Items in flight: the setting for a remote backend; the in-process model runs one."""
    return settings.batch_concurrency if llm.remote else 1


def run_batch(
    queue: ExplainerQueue,
    user: User,
    qas: Sequence[QAPair],
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    limit: int | None = None,
    listener: BatchListener | None = None,
) -> BatchReport:
    """Generate an explainer for each Q&A not yet in the queue (at most `limit` of them)."""
    user = require(queue.sessions, user, "generate_explainers")
    started = time.perf_counter()
    done_before = queue.done_ids(qa.id for qa in qas)
    todo = still_to_do(qas, done_before, limit)
    report = BatchReport(len(qas), len(done_before), batch_concurrency(llm, settings), llm.model_id)
    queue.record(
        user,
        "explainer.batch.start",
        model=llm.model_id,
        selected=len(qas),
        already_done=len(done_before),
        todo=len(todo),
        concurrency=report.concurrency,
    )

    def one(qa: QAPair) -> ItemResult:
        return _generate_one(queue, user, qa, retriever=retriever, llm=llm, settings=settings)

    run = run_job(
        todo,
        one,
        report.add,  # the worker has committed the item already
        concurrency=report.concurrency,
        listener=listener,
        backend_failure=lambda result: result.detail if result.backend_failed else None,
        stop_after=STOP_AFTER_FAILURES,
    )
    report.not_started = run.not_started
    report.interrupted, report.stopped = run.interrupted, run.stopped
    report.seconds = time.perf_counter() - started
    queue.record(
        user,
        "explainer.batch.end",
        model=llm.model_id,
        done=len(report.done),
        failed=len(report.failed),
        not_started=report.not_started,
        interrupted=report.interrupted,
        stopped=report.stopped,
    )
    return report


def _generate_one(
    queue: ExplainerQueue,
    user: User,
    qa: QAPair,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
) -> ItemResult:
    """One item, committed as soon as it is written; any failure becomes a logged result."""
    try:
        draft = generate_explainer(
            PatientQuestion.of(qa),
            retriever=retriever,
            llm=llm,
            settings=settings,
        )
        if draft.error or not draft.explainer.strip():
            result = ItemResult(
                qa.id, "failed", draft.error or "the model wrote nothing", backend_failed=True
            )
        elif queue.add_generated(user, qa, draft) is None:
            return ItemResult(qa.id, "skipped", "done by another run meanwhile")
        else:
            return ItemResult(qa.id, "done", "; ".join(draft.problems))
    except BackendUnavailableError as exc:
        result = ItemResult(qa.id, "failed", str(exc), backend_failed=True)
    except DrafterError as exc:
        result = ItemResult(qa.id, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - one odd item must not end the batch
        result = ItemResult(qa.id, "failed", f"{type(exc).__name__}: {exc}")
    queue.record(user, "explainer.failed", qa_id=qa.id, error=result.detail)
    return result
