"""One simulated doctor of bench/load.py, a process of its own: it is told its questions and
its DRAFTER_* settings, loads its own `Services`, waits for the others, takes each question
through open, draft, edit (an edit from an old version on some), an edit of the question every
doctor edits, approve and search, timing each; then searches for every approved answer of the
run. What it did and saw (its `Tally`) is written as JSON for the parent to check.

With `rounds` above 1 (the fault runs) the questions are worked through in that many rounds, each
between the two barriers, so the parent can stop or restart a server while every doctor waits;
the process, its `Services` and its connections stay the same throughout."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from drafter.core.errors import BackendUnavailableError, EditConflictError
from drafter.core.secrets import scrub
from drafter.core.settings import load_settings
from drafter.services import Services
from drafter.workflow.doctor import Version, Workflow
from drafter.workflow.drafting_session import draft_version
from drafter.workflow.publish import record_id
from knowledge.retrieval import HybridRetriever

PASSWORD = "load-doctor-pass"


@dataclass(frozen=True)
class Job:
    """What one doctor process is told (picklable: it crosses a spawn)."""

    index: int
    username: str
    questions: tuple[tuple[int, bool], ...]  # (question id, whether to add a stale edit)
    shared: int
    env: dict[str, str]
    out: str
    timeout: float
    rounds: int = 1  # the questions are split into this many rounds (questions[k::rounds])


@dataclass
class Tally:
    """What one doctor process did and saw; written as JSON for the parent."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    saved: list[tuple[int, int, str]] = field(default_factory=list)  # question, number, author
    approved: list[tuple[int, int, int, str]] = field(default_factory=list)  # id, q, number, by
    conflicts: int = 0
    checked: int = 0  # approved answers searched for after the timed phase
    missing: list[str] = field(default_factory=list)  # record ids that search did not find
    failure: str | None = None
    # at the end of each round: how many errors, saves and approvals there were by then
    rounds: list[tuple[int, int, int]] = field(default_factory=list)

    @contextmanager
    def timed(self, op: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:
            self.errors.append(describe(op, exc))
            raise
        self.latencies.setdefault(op, []).append(time.perf_counter() - started)


def describe(op: str, exc: BaseException) -> str:
    """`op: Type: first line of the message`, scrubbed of secrets (how errors are counted)."""
    text = (scrub(str(exc)).splitlines() or [""])[0][:140]
    return f"{op}: {type(exc).__name__}: {text}"


def search_query(title: str, question: str) -> str:
    return f"{title}\n{question}"


def found(retriever: HybridRetriever, query: str, record: str, vector: Any = None) -> bool:
    """Whether searching for `query` (as the app's Similar Q&A does) shows `record`, on its own
    or folded into a near-duplicate it is shown with."""
    hits = retriever.search(query, kind="qa", k=4, vector=vector)
    return any(h.id == record or record in h.duplicates for h in hits)


def doctor(job: Job, ready: Barrier, done: Barrier) -> None:
    """Load; then, for each round, wait for the others, work through the round's questions and
    wait again; then search for every approved answer of the run. The tally goes to `job.out`."""
    tally = Tally()
    try:
        os.environ.update(job.env)
        services = Services(load_settings())
        workflow = services.workflow()
        user = workflow.login(job.username, PASSWORD)
        retriever = services.retriever()
        retriever.search("warm up the embedder and the indexes", kind="qa")
        services.triager()("warm up the triage layers")
        services.chat_backend()
    except Exception as exc:
        tally.failure = describe("start", exc)
        Path(job.out).write_text(json.dumps(asdict(tally)))
        ready.abort()
        raise
    for k in range(job.rounds):
        ready.wait(job.timeout)
        for question_id, stale in job.questions[k :: job.rounds]:
            try:
                work(job, tally, services, workflow, user, question_id, stale=stale)
            except Exception:  # noqa: BLE001 - counted in the tally; the doctor goes on
                continue
        tally.rounds.append((len(tally.errors), len(tally.saved), len(tally.approved)))
        Path(job.out).write_text(json.dumps(asdict(tally)))
        done.wait(job.timeout)
    try:
        check_everything(tally, workflow, retriever)
    except Exception as exc:
        tally.failure = describe("check", exc)
    Path(job.out).write_text(json.dumps(asdict(tally)))
    services.close()


def work(
    job: Job,
    tally: Tally,
    services: Services,
    workflow: Workflow,
    user: Any,
    question_id: int,
    *,
    stale: bool,
) -> None:
    """One question through every operation; an operation that raises ends it (counted)."""
    with tally.timed("open"):
        question = workflow.question(question_id)
        current = workflow.latest(question_id)
    with tally.timed("draft"):
        drafted = draft_version(
            workflow,
            user,
            question,
            current,
            retriever=services.retriever(),
            llm=services.chat_backend(),
            settings=services.settings,
            triage=services.triager(),
        )
        draft = drafted.version
        tally.saved.append((question_id, draft.number, user.username))
        if drafted.draft.error:  # what `drafter questions draft` says, exit code 4
            raise BackendUnavailableError(f"{drafted.draft.error} (the partial draft is saved)")
    marker = f"ref-{job.username}-q{question_id}"
    title = f"{draft.title} {marker}"
    with tally.timed("edit"):
        reviewed = f"{draft.reply} (Reviewed, {marker}.)"
        chosen, _ = save(tally, workflow, user, draft, title, reviewed)
    if stale:  # made from the draft, which the edit above has made old
        with tally.timed("stale_edit"):
            chosen, flagged = save(
                tally, workflow, user, draft, title, f"{draft.reply} (Second look, {marker}.)"
            )
            if not flagged:
                raise AssertionError("an edit from an old version was not flagged")
    with tally.timed("shared"):  # a conflict when another doctor saved since `latest` was read
        latest = workflow.latest(job.shared)
        assert latest is not None
        reply = f"{latest.reply} [{job.username} on q{question_id}]"
        save(tally, workflow, user, latest, latest.title, reply)
    with tally.timed("approve"):
        approval = workflow.approve(user, question_id, "reply", version=chosen)
    tally.approved.append((approval.id, question_id, approval.version_number, user.username))
    if approval.publish_error or approval.cautions:
        tally.errors.append(f"approve: not published cleanly: {approval.publish_error}")
    query = search_query(approval.title, question.text)
    with tally.timed("search"):
        shown = found(services.retriever(), query, record_id(question_id))
    if not shown:
        tally.missing.append(record_id(question_id))


def save(
    tally: Tally, workflow: Workflow, user: Any, base: Version, title: str, reply: str
) -> tuple[int, bool]:
    """Save an edit of `base`; a version saved over a newer one is kept, as the Workflow
    promises. (The number the doctor was told, whether it was flagged as a conflict.)"""
    try:
        saved = workflow.save_edit(
            user,
            base.question_id,
            base=base.number,
            title=title,
            reply=reply,
            explainer=base.explainer,
        ).number
        flagged = False
    except EditConflictError as conflict:
        saved, flagged = conflict.saved_as, True
        tally.conflicts += 1
    tally.saved.append((base.question_id, saved, user.username))
    return saved, flagged


def check_everything(tally: Tally, workflow: Workflow, retriever: HybridRetriever) -> None:
    """Search for every approved answer of the run (the newest approval of each question)."""
    newest = {a.question_id: a for a in workflow.all_approvals("reply")}
    texts = {q.id: q.text for q in workflow.questions(limit=1_000_000)}
    queries = [search_query(a.title, texts[q]) for q, a in newest.items()]
    vectors = list(retriever.embedder.embed(queries)) if queries else []
    for question_id, query, vector in zip(newest, queries, vectors, strict=True):
        tally.checked += 1
        if not found(retriever, query, record_id(question_id), vector):
            tally.missing.append(record_id(question_id))
