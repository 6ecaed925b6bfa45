"""Several app processes at once: N simulated doctors, each a separate OS process with its own
`Services`, against one workflow database, one `chroma run` server and one model server.

Started here on loopback: a real PostgreSQL server (initdb in a temporary folder, as the tests
do), a `chroma run` server holding the sample knowledge base (ingested once) and the stub
OpenAI-compatible model server, streaming (tests/support/fakes.py), so the model is not what is
measured. For each database (PostgreSQL, and a SQLite file shared by the same processes) and each
N, a fresh workflow database gets N doctor accounts and OPS questions (the demo inbox and the
sample's questions, varied), shared out among the doctors, so every run does the same work. Each
doctor process is configured by DRAFTER_* variables alone and, once every process has loaded its
models, works through its questions, timing each operation:

  open        the question and its latest version
  draft       `draft_version` (retrieval, three streamed model calls, the checks), a new version
  edit        an edit of that draft (a marker in its title and reply), a new version
  stale_edit  every STALE-th question: an edit made from the draft, now an old version; the
              Workflow keeps it as the newest version and raises EditConflictError
  shared      an edit of the one question every doctor edits (races for the version number)
  approve     approving the edited reply (published into the Chroma server at once)
  search      the knowledge base, for the answer just approved

Then every process searches for every approved answer of the run. After each run the parent
checks that every save the doctors were told of is a version (0 lost) and every version was
saved once (0 duplicated), that every approval has its audit event and the audit chain holds, and
that every approved answer was found from every process; any miss is a non-zero exit. Failed
operations are counted by their error (SQLite's lock waits and errors show here). It prints, per
database and N, ops/s (all operations over the wall-clock of the timed phase) and p50 / p95 per
operation.

    .venv/bin/python bench/load.py [--doctors 1,4,16] [--ops 16] [--databases sqlite,postgresql]
    .venv/bin/python bench/load.py --faults chroma,model,postgresql --doctors 2 --ops 14

With `--faults` the doctors work in rounds (one with every part up, then for each part named, one
round with it stopped and one after it is started again on the same port with the same data), the
parent stopping and starting the part between rounds while the same doctor processes wait; it
prints each round's time and errors. Each doctor needs a question per round: OPS at least
N x (1 + 2 x faults). tests/test_faults.py runs this and checks what each round saw.

On 2 busy cores the default run took 23 minutes, most of it the 42 processes loading their
models (figures in docs/benchmarks.md); `--doctors 4 --ops 8` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import percentiles  # noqa: E402
from bench.load_doctor import PASSWORD, Job, Tally, describe, doctor  # noqa: E402
from drafter.core.settings import Settings, load_settings  # noqa: E402
from drafter.services import Services  # noqa: E402
from drafter.workflow.doctor import Workflow  # noqa: E402
from drafter.workflow.drafting_session import draft_version  # noqa: E402
from knowledge import SAMPLE_INBOX, sample_files  # noqa: E402
from knowledge.ingest import ingest_files, refresh_indexes  # noqa: E402
from tests.support.fakes import OpenAIStub, page_responder  # noqa: E402
from tests.support.postgres import PostgresServer, postgres_bindir, running_postgres  # noqa: E402
from tests.support.servers import (  # noqa: E402
    ChromaServer,
    StubModelServer,
    chroma_executable,
    free_port,
    stub_model_env,
)
from tests.support.workflow_kit import add_staff  # noqa: E402

OPERATIONS = ("open", "draft", "edit", "stale_edit", "shared", "approve", "search")
PREFIX = "load"  # the Chroma collections: load_qa, load_faq
FAULTS = ("chroma", "model", "postgresql")  # the parts --faults can stop, in this order
# Called once a part is stopped, before the doctors' round: (its name, the run's DRAFTER_* env).
WhileDown = Callable[[str, dict[str, str]], None]


@dataclass(frozen=True)
class Options:
    doctors: tuple[int, ...] = (1, 4, 16)
    ops: int = 16  # questions per run, shared out among its doctors (each run does the same)
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    stale_every: int = 3
    timeout: float = 900.0  # seconds a run may take, start-up included
    faults: tuple[str, ...] = ()  # parts to stop and start again mid-run, one at a time

    @property
    def rounds(self) -> int:
        """Rounds of work per run: one with everything up, then two per fault (down, back)."""
        return 1 + 2 * len(self.faults)

    def round_names(self) -> list[str]:
        return ["up"] + [f"{part} {state}" for part in self.faults for state in ("down", "back")]


# --- the parent: servers, databases, accounts, questions, the doctors, the checks ------------


@dataclass(frozen=True)
class Infra:
    """The servers every run shares, and the DRAFTER_* variables that point at them."""

    env: dict[str, str]
    postgres: PostgresServer | None
    chroma: ChromaServer
    model: StubModelServer

    def part(self, name: str) -> PostgresServer | ChromaServer | StubModelServer:
        """A server by its name in FAULTS."""
        parts: dict[str, PostgresServer | ChromaServer | StubModelServer | None] = {
            "chroma": self.chroma,
            "model": self.model,
            "postgresql": self.postgres,
        }
        found = parts[name]
        if found is None:
            raise SystemExit(f"no {name} server in this run")
        return found


@contextmanager
def infrastructure(databases: Sequence[str], root: Path) -> Iterator[Infra]:
    """PostgreSQL (when asked for), a `chroma run` server with the sample knowledge base
    ingested once, and the streaming stub model server; all stopped on the way out."""
    with ExitStack() as stack:
        postgres = None
        if "postgresql" in databases:
            bindir = postgres_bindir()
            if bindir is None:
                raise SystemExit("PostgreSQL is not installed (no initdb): try --databases sqlite")
            postgres = stack.enter_context(running_postgres(bindir, free_port()))
        exe = chroma_executable()
        if exe is None:
            raise SystemExit(f"chroma is not installed next to {sys.executable}")
        chroma = ChromaServer(exe, root / "chroma").start()
        stack.callback(chroma.stop)
        model = StubModelServer(OpenAIStub(responder=page_responder)).start()
        stack.callback(model.stop)
        env = {"DRAFTER_CHROMA_URL": chroma.url, "DRAFTER_COLLECTION_PREFIX": PREFIX}
        env |= stub_model_env(model.url)
        services = Services(settings_from({**env, "DRAFTER_DATA_DIR": str(root / "ingest")}))
        try:
            ingest_files(services.retriever(store=services.store(create=True)), sample_files())
        finally:
            services.close()
        yield Infra(env, postgres, chroma, model)


def question_rows(count: int) -> list[dict[str, Any]]:
    """`count` patient questions: the demo inbox and the sample's questions, then the same
    again with a line added, so no two are the same text."""
    pool: list[dict[str, Any]] = []
    for path in (SAMPLE_INBOX, *sample_files()):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("question"):
                keys = ("age_group", "sex", "specialty")
                pool.append({"text": row["question"], **{k: row.get(k) for k in keys}})
    rows = []
    for k in range(count):
        row = dict(pool[k % len(pool)])
        if k >= len(pool):
            row["text"] += f" (Asked again, message {k + 1}.)"
        rows.append(row)
    return rows


@dataclass
class Outcome:
    """One run (a database, N doctors): its figures and the checks after it."""

    database: str
    doctors: int
    seconds: float
    load: float
    latencies: dict[str, list[float]]
    errors: Counter[str]
    versions: int
    lost: int
    duplicated: int
    approvals: int
    unaudited: int
    chain_intact: bool
    searches: int
    not_found: int
    failures: list[str]
    # per round of a fault run (one entry otherwise): its seconds, errors and approvals
    round_seconds: list[float]
    round_errors: list[Counter[str]]
    round_approvals: list[int]

    @property
    def ops(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def ok(self) -> bool:
        counts = (self.lost, self.duplicated, self.unaudited, self.not_found)
        return not any(counts) and self.chain_intact and not self.failures


def reset_published(services: Services) -> None:
    """Take the answers a previous run approved out of the knowledge base (the sample stays)."""
    retriever = services.retriever()
    retriever.store.delete_where("qa", {"origin": {"$in": ["doctor", "ai_unedited"]}})
    refresh_indexes(retriever, ["qa"])


def new_database(kind: str, infra: Infra, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'drafter.db'}"
    assert infra.postgres is not None
    return infra.postgres.create_database(f"load_{uuid.uuid4().hex[:12]}")


def settings_from(env: dict[str, str]) -> Settings:
    """Settings from DRAFTER_* variables, as a process with exactly that environment reads."""
    return load_settings(**{k.removeprefix("DRAFTER_").lower(): v for k, v in env.items()})


def run_one(
    kind: str,
    n: int,
    options: Options,
    infra: Infra,
    root: Path,
    while_down: WhileDown | None = None,
) -> Outcome:
    """A fresh database, N doctor accounts and `ops` questions; the doctors (stopping and
    starting the parts of `options.faults` between their rounds); the checks."""
    folder = root / f"{kind}-{n}"
    folder.mkdir(parents=True)
    env = {**infra.env, "DRAFTER_DATABASE_URL": new_database(kind, infra, folder)}
    services = Services(settings_from({**env, "DRAFTER_DATA_DIR": str(folder / "parent")}))
    try:
        reset_published(services)
        workflow = services.workflow()
        staff = {f"doctor{i + 1}": ("doctor", f"Dr. Load {i + 1}", PASSWORD) for i in range(n)}
        first = add_staff(workflow, staff)["doctor1"]
        rows = question_rows(options.ops + 1)
        shared, *ids = [workflow.add_question(first, **row).id for row in rows]
        work = [(q, k % options.stale_every == 1) for k, q in enumerate(ids)]
        opened = draft_version(  # the question every doctor edits needs a first version
            workflow,
            first,
            workflow.question(shared),
            None,
            retriever=services.retriever(),
            llm=services.chat_backend(),
            settings=services.settings,
            triage=services.triager(),
        )
        jobs = [
            Job(
                index=i,
                username=f"doctor{i + 1}",
                questions=tuple(work[i::n]),
                shared=shared,
                env={**env, "DRAFTER_DATA_DIR": str(folder / f"doctor{i + 1}")},
                out=str(folder / f"doctor{i + 1}.json"),
                timeout=options.timeout,
                rounds=options.rounds,
            )
            for i in range(n)
        ]
        steps = fault_steps(options, infra, env, while_down)
        seconds, load, tallies = run_doctors(jobs, options.timeout, steps)
        parent = Tally(saved=[(shared, opened.version.number, first.username)])
        return judge(kind, n, workflow, [parent, *tallies], seconds, load)
    finally:
        services.close()


def fault_steps(
    options: Options, infra: Infra, env: dict[str, str], while_down: WhileDown | None = None
) -> list[Callable[[], Any]]:
    """What the parent does before each round: nothing, then stop each faulty part (and call
    `while_down` with it stopped) and start it again."""

    def stopping(name: str) -> Callable[[], None]:
        def step() -> None:
            infra.part(name).stop()
            if while_down is not None:
                while_down(name, env)

        return step

    steps: list[Callable[[], Any]] = [lambda: None]
    for name in options.faults:
        steps += [stopping(name), infra.part(name).start]
    return steps


def run_doctors(
    jobs: list[Job], timeout: float, steps: Sequence[Callable[[], Any]] = ()
) -> tuple[list[float], float, list[Tally]]:
    """Start one process per job; for each of their rounds run its step (`steps[k]`, if any),
    let the doctors go and time the round from the first barrier (every process ready) to the
    second (every process done); read their tallies: (seconds per round, load average, tallies)."""
    spawn = multiprocessing.get_context("spawn")
    ready, done = spawn.Barrier(len(jobs) + 1), spawn.Barrier(len(jobs) + 1)
    processes = [
        spawn.Process(target=doctor, args=(job, ready, done), name=job.username) for job in jobs
    ]
    for process in processes:
        process.start()
    seconds: list[float] = []
    load = 0.0
    try:
        for k in range(jobs[0].rounds):
            if k < len(steps):
                steps[k]()
            ready.wait(timeout)
            started = time.perf_counter()
            done.wait(timeout)
            seconds.append(time.perf_counter() - started)
        load = os.getloadavg()[0]
        for process in processes:
            process.join(timeout)
    except Exception as exc:  # noqa: BLE001 - a broken barrier: a doctor failed to start
        print(f"the doctors did not all finish: {describe('run', exc)}", file=sys.stderr)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(10)
    tallies = []
    for job, process in zip(jobs, processes, strict=True):
        path = Path(job.out)
        tally = Tally(**json.loads(path.read_text())) if path.exists() else Tally()
        if process.exitcode != 0 and tally.failure is None:
            tally.failure = f"{job.username} exited with {process.exitcode}"
        tallies.append(tally)
    return seconds, load, tallies


def judge(
    kind: str, n: int, workflow: Workflow, tallies: list[Tally], seconds: list[float], load: float
) -> Outcome:
    """Compare what the doctors were told with the database, the audit log and the searches."""
    table = Counter((v.question_id, v.number, v.author) for v in workflow.all_versions())
    told = Counter(tuple(s) for t in tallies for s in t.saved)
    lost = len(set(told) - set(table))
    duplicated = sum(c - 1 for c in told.values()) + len(set(table) - set(told))
    approved = [tuple(a) for t in tallies for a in t.approved]
    events: Counter[tuple[Any, ...]] = Counter(
        (e.question_id, e.detail.get("number"), e.actor)
        for e in workflow.audit()
        if e.action == "approve.reply"
    )
    stored = {a.id for a in workflow.all_approvals("reply")}
    unaudited = sum(1 for _, *key in approved if not events[tuple(key)])
    unaudited += len(stored ^ {a[0] for a in approved})
    answers = len({a.question_id for a in workflow.all_approvals("reply")})
    searched = sum(t.checked for t in tallies)
    not_found = sum(len(t.missing) for t in tallies) + max(0, answers * n - searched)
    latencies: dict[str, list[float]] = {}
    for t in tallies:
        for op, samples in t.latencies.items():
            latencies.setdefault(op, []).extend(samples)
    round_errors: list[Counter[str]] = [Counter() for _ in seconds]
    round_approvals = [0 for _ in seconds]
    for t in tallies:
        before = (0, 0, 0)
        for k, marks in enumerate(t.rounds):
            round_errors[k].update(t.errors[before[0] : marks[0]])
            round_approvals[k] += marks[2] - before[2]
            before = marks
    return Outcome(
        database=kind,
        doctors=n,
        seconds=sum(seconds),
        load=load,
        latencies=latencies,
        errors=Counter(e for t in tallies for e in t.errors),
        versions=sum(table.values()),
        lost=lost,
        duplicated=duplicated,
        approvals=len(stored),
        unaudited=unaudited,
        chain_intact=workflow.verify_audit().intact,
        searches=searched + sum(len(t.latencies.get("search", [])) for t in tallies),
        not_found=not_found,
        failures=[t.failure for t in tallies if t.failure],
        round_seconds=seconds,
        round_errors=round_errors,
        round_approvals=round_approvals,
    )


def run_suite(options: Options, root: Path, while_down: WhileDown | None = None) -> list[Outcome]:
    """Every database and N of `options`, on one set of servers."""
    with infrastructure(options.databases, root) as infra:
        return [
            run_one(kind, n, options, infra, root, while_down)
            for kind in options.databases
            for n in options.doctors
        ]


def report(outcomes: list[Outcome], options: Options) -> None:
    print(
        f"{'database':<11} {'N':>3} {'ops':>5} {'s':>6} {'ops/s':>6} {'load':>5} {'errors':>6}"
        f" {'versions':>8} {'lost':>4} {'dup':>4} {'approved':>8} {'unaudited':>9}"
        f" {'searched':>8} {'not found':>9}"
    )
    for o in outcomes:
        print(
            f"{o.database:<11} {o.doctors:>3} {o.ops:>5} {o.seconds:>6.1f}"
            f" {o.ops / o.seconds if o.seconds else 0:>6.1f} {o.load:>5.1f}"
            f" {sum(o.errors.values()):>6} {o.versions:>8} {o.lost:>4} {o.duplicated:>4}"
            f" {o.approvals:>8} {o.unaudited:>9} {o.searches:>8} {o.not_found:>9}"
        )
    print("\np50 / p95 per operation, ms")
    print(f"{'database':<11} {'N':>3} " + " ".join(f"{op:>12}" for op in OPERATIONS))
    for o in outcomes:
        cells = []
        for op in OPERATIONS:
            samples = o.latencies.get(op)
            p50, p95 = percentiles(samples) if samples else (0.0, 0.0)
            cells.append(f"{p50:>5.0f}/{p95:<6.0f}" if samples else f"{'-':>12}")
        print(f"{o.database:<11} {o.doctors:>3} " + " ".join(cells))
    if options.faults:
        for o in outcomes:
            print(f"\n{o.database} N={o.doctors}, round by round")
            names = options.round_names()
            for name, s, errors, approved in zip(
                names, o.round_seconds, o.round_errors, o.round_approvals, strict=True
            ):
                total = sum(errors.values())
                print(f"  {name:<16} {s:>6.1f} s  {approved:>3} approved  {total:>3} errors")
                for error, count in errors.most_common():
                    print(f"      {count} x {error}")
        return
    for o in outcomes:
        for error, count in o.errors.most_common():
            print(f"{o.database} N={o.doctors}: {count} x {error}")
        for failure in o.failures:
            print(f"{o.database} N={o.doctors}: FAILED {failure}")
        if not o.chain_intact:
            print(f"{o.database} N={o.doctors}: the audit chain is broken")


def numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doctors", type=numbers, default=Options.doctors, help="e.g. 1,4,16")
    parser.add_argument(
        "--ops", type=int, default=Options.ops, help="questions per run, shared by its doctors"
    )
    parser.add_argument(
        "--databases",
        type=lambda text: tuple(text.split(",")),
        default=Options.databases,
        help="sqlite,postgresql",
    )
    parser.add_argument(
        "--stale-every", type=int, default=Options.stale_every, help="every k-th question"
    )
    parser.add_argument("--timeout", type=float, default=Options.timeout, help="seconds a run")
    parser.add_argument(
        "--faults",
        type=lambda text: tuple(text.split(",")),
        default=(),
        help=f"stop and restart these parts mid-run, one at a time: {','.join(FAULTS)}",
    )
    args = parser.parse_args()
    if unknown := set(args.faults) - set(FAULTS):
        parser.error(f"--faults: unknown part {', '.join(sorted(unknown))}")
    options = Options(
        args.doctors, args.ops, args.databases, args.stale_every, args.timeout, args.faults
    )
    print(f"{os.cpu_count()} cores, load average at start: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="drafter-load-", dir="/tmp") as tmp:
        outcomes = run_suite(options, Path(tmp))
    report(outcomes, options)
    print(
        f"\n{time.perf_counter() - started:.0f} s in all; load average at end: "
        f"{os.getloadavg()[0]:.2f}"
    )
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
