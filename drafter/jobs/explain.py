"""`drafter explain`: More Info explainers for many stored Q&As, resumable after any stop.

The Q&As come from the knowledge base (by specialty, asked date, and whether they have an
explainer). The local model runs one item at a time; a remote backend runs
`DRAFTER_BATCH_CONCURRENCY` items at once (threads). Each finished item is committed to the
editors' queue as it finishes, and a Q&A already in the queue is skipped, so a crash or Ctrl-C
loses nothing and a rerun redoes nothing. A failing item is logged with its reason and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

from drafter.core.errors import BackendUnavailableError, DrafterError
from drafter.core.question import PatientQuestion
from drafter.core.records import QAPair, normalize_specialty
from drafter.drafting.draft import Draft
from drafter.drafting.pipeline import draft_page
from drafter.workflow.accounts import User, require
from drafter.workflow.explainers import ExplainerQueue, ExplainerVersion
from knowledge.documents import qa_from_metadata

if TYPE_CHECKING:
    from drafter.backends.base import ChatBackend
    from drafter.core.settings import Settings
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

# A backend that failed this many items in a row is down: stop rather than fail every item.
STOP_AFTER_FAILURES = 5
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
    require(user, "approve_explainer")
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


class BatchListener(Protocol):
    """What the CLI's progress bar implements."""

    def on_start(self, total: int, concurrency: int) -> None: ...

    def on_result(self, result: ItemResult) -> None: ...

    def on_notice(self, text: str) -> None: ...


class SilentBatch:
    def on_start(self, total: int, concurrency: int) -> None:
        pass

    def on_result(self, result: ItemResult) -> None:
        pass

    def on_notice(self, text: str) -> None:
        pass


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
    require(user, "generate_explainers")
    listener = listener or SilentBatch()
    started = time.perf_counter()
    done_before = queue.done_ids(qa.id for qa in qas)
    todo = [qa for qa in qas if qa.id not in done_before][:limit]
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
    listener.on_start(len(todo), report.concurrency)

    def one(qa: QAPair) -> ItemResult:
        return _generate_one(queue, user, qa, retriever=retriever, llm=llm, settings=settings)

    failures_in_a_row = 0

    def collect(result: ItemResult) -> None:
        nonlocal failures_in_a_row
        report.add(result)
        listener.on_result(result)
        failures_in_a_row = failures_in_a_row + 1 if result.backend_failed else 0
        if failures_in_a_row >= STOP_AFTER_FAILURES and not report.stopped:
            report.stopped = (
                f"the model backend failed {failures_in_a_row} items in a row "
                f"(last: {result.detail})"
            )
            listener.on_notice(f"stopping: {report.stopped}")

    try:
        if report.concurrency == 1:
            for qa in todo:
                if report.stopped:
                    break
                collect(one(qa))
        else:
            _run_threaded(todo, one, collect, report, listener)
    except KeyboardInterrupt:
        report.interrupted = True
    finished = len(report.done) + len(report.skipped) + len(report.failed)
    report.not_started = len(todo) - finished
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


def _run_threaded(
    todo: Sequence[QAPair],
    one: Callable[[QAPair], ItemResult],
    collect: Callable[[ItemResult], None],
    report: BatchReport,
    listener: BatchListener,
) -> None:
    """Workers commit their own items; on Ctrl-C or a stop, queued items are cancelled and the
    ones in flight finish (and are kept) before this returns."""
    executor = ThreadPoolExecutor(report.concurrency, thread_name_prefix="explain")
    futures = [executor.submit(one, qa) for qa in todo]
    collected: set[Future[ItemResult]] = set()
    try:
        for future in as_completed(futures):
            collected.add(future)
            collect(future.result())
            if report.stopped:
                break
    except KeyboardInterrupt:
        report.interrupted = True
        listener.on_notice("interrupted: finishing the items in flight, then stopping")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future not in collected and future.done() and not future.cancelled():
                collect(future.result())


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
