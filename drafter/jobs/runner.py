"""The one runner under every batch job (`drafter explain`, `drafter eval`'s drafting).

A job hands it the items still to do (`still_to_do` drops the done ones), a function that does
one item and a function that records a finished one. The runner does them inline or in a thread
pool, records each result once, in the calling thread, as it finishes, and can stop early when
the model backend fails too many items in a row. On Ctrl-C the queued items are cancelled and
the ones in flight finish and are recorded, so a rerun of the job redoes nothing it finished.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from drafter.core.progress import Progress

# A backend that failed this many items in a row is down: stop rather than fail every item.
STOP_AFTER_FAILURES = 5

Item = TypeVar("Item")
Result = TypeVar("Result")
Result_contra = TypeVar("Result_contra", contravariant=True)
Keyed = TypeVar("Keyed", bound="HasId")


class HasId(Protocol):
    @property
    def id(self) -> str: ...


class JobListener(Protocol[Result_contra]):
    """Progress of a run: the CLI's bars implement it; every call comes from the caller's thread."""

    def on_start(self, total: int, concurrency: int) -> None: ...

    def on_result(self, result: Result_contra) -> None: ...

    def on_notice(self, text: str) -> None: ...


class SilentListener:
    def on_start(self, total: int, concurrency: int) -> None:
        pass

    def on_result(self, result: object) -> None:
        pass

    def on_notice(self, text: str) -> None:
        pass


class ProgressListener(Generic[Result_contra]):
    """A `core.progress.Progress` bar as a listener: one step per finished item, no notices."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress, self.label = progress, label

    def on_start(self, total: int, concurrency: int) -> None:
        self.progress.start(total, self.label)

    def on_result(self, result: Result_contra) -> None:
        self.progress.advance()

    def on_notice(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class JobRun:
    """How a run ended: items recorded, whether Ctrl-C or the failure rule cut it short."""

    finished: int
    not_started: int
    interrupted: bool = False
    stopped: str | None = None  # why the run gave up early


def still_to_do(
    items: Iterable[Keyed], done: Container[str], limit: int | None = None
) -> list[Keyed]:
    """The items whose id is not done yet, in order, at most `limit` of them."""
    return [item for item in items if item.id not in done][:limit]


def run_job(
    todo: Sequence[Item],
    do_one: Callable[[Item], Result],
    record: Callable[[Result], None],
    *,
    concurrency: int = 1,
    listener: JobListener[Result] | None = None,
    backend_failure: Callable[[Result], str | None] | None = None,
    stop_after: int = STOP_AFTER_FAILURES,
) -> JobRun:
    """Do every item (inline when `concurrency` is 1, else in that many threads); record each
    result as it finishes. With `backend_failure` (a result's backend error, or None), `stop_after`
    such results in a row stop the run. An exception from `do_one` or `record` propagates."""
    listener = listener or SilentListener()
    collect = _Collector(record, listener, backend_failure, stop_after)
    listener.on_start(len(todo), concurrency)
    interrupted = False
    try:
        if concurrency <= 1:
            for item in todo:
                if collect.stopped:
                    break
                collect(do_one(item))
        else:
            interrupted = _run_threaded(todo, do_one, collect, concurrency, listener)
    except KeyboardInterrupt:
        interrupted = True
    return JobRun(collect.finished, len(todo) - collect.finished, interrupted, collect.stopped)


class _Collector(Generic[Result]):
    """Records a finished item, reports it, and applies the consecutive-failures rule."""

    def __init__(
        self,
        record: Callable[[Result], None],
        listener: JobListener[Result],
        backend_failure: Callable[[Result], str | None] | None,
        stop_after: int,
    ) -> None:
        self.record, self.listener = record, listener
        self.backend_failure, self.stop_after = backend_failure, stop_after
        self.finished = self.failures_in_a_row = 0
        self.stopped: str | None = None

    def __call__(self, result: Result) -> None:
        self.record(result)
        self.finished += 1
        self.listener.on_result(result)
        error = self.backend_failure(result) if self.backend_failure else None
        self.failures_in_a_row = self.failures_in_a_row + 1 if error is not None else 0
        if self.failures_in_a_row >= self.stop_after and not self.stopped:
            self.stopped = (
                f"the model backend failed {self.failures_in_a_row} items in a row (last: {error})"
            )
            self.listener.on_notice(f"stopping: {self.stopped}")


def _run_threaded(
    todo: Sequence[Item],
    do_one: Callable[[Item], Result],
    collect: _Collector[Result],
    concurrency: int,
    listener: JobListener[Result],
) -> bool:
    """Workers do the items, this thread records them; on Ctrl-C or a stop, queued items are
    cancelled and the ones in flight finish (and are recorded) before this returns. Returns
    whether Ctrl-C was pressed."""
    executor = ThreadPoolExecutor(concurrency, thread_name_prefix="job")
    futures = [executor.submit(do_one, item) for item in todo]
    collected: set[Future[Result]] = set()
    try:
        for future in as_completed(futures):
            collected.add(future)
            collect(future.result())
            if collect.stopped:
                break
    except KeyboardInterrupt:
        listener.on_notice("interrupted: finishing the items in flight, then stopping")
        return True
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            finished = future not in collected and future.done() and not future.cancelled()
            if finished and future.exception() is None:
                collect(future.result())
    return False
