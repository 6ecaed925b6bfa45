"""The job runner on its own, with no model: inline and threaded runs record each item once (in
the caller's thread), done items are skipped, a run of backend failures stops it, Ctrl-C keeps
what finished, and an unexpected error propagates."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from drafter.jobs.runner import (
    STOP_AFTER_FAILURES,
    JobRun,
    ProgressListener,
    run_job,
    still_to_do,
)


@dataclass(frozen=True)
class Task:
    id: str
    seconds: float = 0.0
    fails: bool = False  # the backend fails it
    interrupts: bool = False  # Ctrl-C while doing it


@dataclass(frozen=True)
class Done:
    id: str
    error: str | None = None


def tasks(n: int, *, seconds: float = 0.0, fails: bool = False) -> list[Task]:
    return [Task(f"t{i}", seconds, fails) for i in range(n)]


class Worker:
    """Does a task (sleeping its seconds) and counts the tasks in flight."""

    def __init__(self) -> None:
        self.in_flight = self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, task: Task) -> Done:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(task.seconds)
            if task.interrupts:
                raise KeyboardInterrupt
            return Done(task.id, "backend down" if task.fails else None)
        finally:
            with self._lock:
                self.in_flight -= 1


class Recorder:
    """Records finished items and the thread that recorded each."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, result: Done) -> None:
        self.ids.append(result.id)
        self.threads.add(threading.current_thread().name)


class Listener:
    def __init__(self) -> None:
        self.started: tuple[int, int] | None = None
        self.results: list[str] = []
        self.notices: list[str] = []

    def on_start(self, total: int, concurrency: int) -> None:
        self.started = (total, concurrency)

    def on_result(self, result: Done) -> None:
        self.results.append(result.id)

    def on_notice(self, text: str) -> None:
        self.notices.append(text)


def backend_error(result: Done) -> str | None:
    return result.error


def run(
    todo: list[Task], concurrency: int, listener: Listener | None = None
) -> tuple[JobRun, Recorder, Worker]:
    worker, recorder = Worker(), Recorder()
    outcome = run_job(
        todo,
        worker,
        recorder,
        concurrency=concurrency,
        listener=listener,
        backend_failure=backend_error,
    )
    return outcome, recorder, worker


def test_done_items_are_skipped_and_the_limit_counts_only_new_ones() -> None:
    items = tasks(6)
    assert [t.id for t in still_to_do(items, {"t1", "t3"})] == ["t0", "t2", "t4", "t5"]
    assert [t.id for t in still_to_do(items, {"t0", "t1"}, limit=3)] == ["t2", "t3", "t4"]
    assert still_to_do(items, {t.id for t in items}) == []


def test_inline_records_each_item_once_in_order() -> None:
    listener = Listener()
    outcome, recorder, worker = run(tasks(7), 1, listener)
    assert outcome == JobRun(finished=7, not_started=0)
    assert recorder.ids == [f"t{i}" for i in range(7)]
    assert recorder.threads == {threading.current_thread().name}
    assert worker.peak == 1
    assert (listener.started, listener.results, listener.notices) == ((7, 1), recorder.ids, [])


def test_threaded_records_each_item_once_in_the_callers_thread() -> None:
    listener = Listener()
    outcome, recorder, worker = run(tasks(24, seconds=0.02), 4, listener)
    assert outcome == JobRun(finished=24, not_started=0)
    assert sorted(recorder.ids) == sorted(f"t{i}" for i in range(24))  # each exactly once
    assert recorder.threads == {threading.current_thread().name}
    assert 1 < worker.peak <= 4
    assert listener.started == (24, 4)
    assert sorted(listener.results) == sorted(recorder.ids)


def test_a_run_of_backend_failures_stops_inline_and_a_success_resets_the_count() -> None:
    listener = Listener()
    todo = [*tasks(4, fails=True), Task("ok"), *tasks(10, fails=True)]
    outcome, recorder, _ = run(todo, 1, listener)
    assert outcome.stopped == "the model backend failed 5 items in a row (last: backend down)"
    assert outcome.finished == 4 + 1 + STOP_AFTER_FAILURES
    assert outcome.not_started == len(todo) - outcome.finished
    assert len(recorder.ids) == outcome.finished
    assert listener.notices == [f"stopping: {outcome.stopped}"]


def test_a_run_of_backend_failures_stops_threaded_after_the_items_in_flight() -> None:
    todo = tasks(40, seconds=0.05, fails=True)
    outcome, recorder, _ = run(todo, 3)
    assert outcome.stopped
    assert "failed 5 items in a row" in outcome.stopped
    assert STOP_AFTER_FAILURES <= outcome.finished < len(todo)  # the queued ones never start
    assert outcome.finished + outcome.not_started == len(todo)
    assert Counter(recorder.ids).most_common(1)[0][1] == 1
    assert len(recorder.ids) == outcome.finished


def test_without_a_failure_rule_nothing_stops() -> None:
    recorder = Recorder()
    outcome = run_job(tasks(12, fails=True), Worker(), recorder)
    assert outcome == JobRun(finished=12, not_started=0)


def test_ctrl_c_inline_keeps_the_finished_items() -> None:
    todo = [*tasks(2), Task("boom", interrupts=True), *tasks(3)]
    outcome, recorder, _ = run(todo, 1)
    assert (outcome.interrupted, outcome.finished, outcome.not_started) == (True, 2, 4)
    assert recorder.ids == ["t0", "t1"]


def test_ctrl_c_threaded_cancels_the_queue_and_records_the_items_in_flight() -> None:
    listener = Listener()
    todo = [Task("slow", seconds=0.3), Task("boom", interrupts=True), *tasks(10, seconds=0.3)]
    outcome, recorder, worker = run(todo, 2, listener)
    assert outcome.interrupted
    assert "slow" in recorder.ids  # in flight at Ctrl-C: finished and kept
    assert "boom" not in recorder.ids
    assert len(recorder.ids) == len(set(recorder.ids)) == outcome.finished < len(todo) - 1
    assert outcome.finished + outcome.not_started == len(todo)
    assert worker.in_flight == 0  # nothing still running when the runner returns
    assert listener.notices == ["interrupted: finishing the items in flight, then stopping"]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_unexpected_error_propagates(concurrency: int) -> None:
    def do_one(task: Task) -> Done:
        if task.id == "t2":
            raise ValueError("a bug")
        return Done(task.id)

    recorder = Recorder()
    with pytest.raises(ValueError, match="a bug"):
        run_job(tasks(5), do_one, recorder, concurrency=concurrency)
    assert "t2" not in recorder.ids


def test_a_progress_bar_advances_once_per_item() -> None:
    class Bar:
        def __init__(self) -> None:
            self.calls: list[tuple[str, object]] = []

        def start(self, total: int | None, label: str) -> None:
            self.calls.append(("start", (total, label)))

        def advance(self, n: int = 1) -> None:
            self.calls.append(("advance", n))

        def finish(self) -> None:
            self.calls.append(("finish", None))

    bar = Bar()
    run_job(tasks(3), Worker(), Recorder(), listener=ProgressListener(bar, "drafts"))
    assert bar.calls == [("start", (3, "drafts")), *[("advance", 1)] * 3]
