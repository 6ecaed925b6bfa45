"""What a doctor waits for in the app: from the Draft click to the first word, to the short reply
complete, and to the whole page saved, over the demo inbox, with the bundled model.

The app's Draft button calls `draft_version` (drafter/workflow/drafting_session.py) with the
process's retriever, chat backend and triager and a listener that streams into the page; this
runs that same call, for each question of `knowledge/sample/inbox.jsonl` in a throw-away data
folder (the sample knowledge base ingested, the demo accounts, the inbox added as `make run`
adds it), with a listener that only notes the time. Streamlit's own rendering is left out.

Figures: p50 / p95 seconds over the questions for each mark, the load average while it ran,
and, as the baseline in the same process, the first question drafted again (the model and the
embedder are loaded then: the ratio shows what the first click costs on top).

    .venv/bin/python bench/app_latency.py [--questions 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drafter.core.settings import load_settings  # noqa: E402
from drafter.evaluation.measures import quantile  # noqa: E402
from drafter.services import Services  # noqa: E402
from drafter.workflow.accounts import get_user  # noqa: E402
from drafter.workflow.drafting_session import draft_version  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INBOX = ROOT / "knowledge" / "sample" / "inbox.jsonl"
MARKS = ("first word", "reply complete", "page saved")


@dataclass
class Clock:
    """A draft listener that notes when the first word came and when the reply was done."""

    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def on_stage(self, stage: str) -> None:
        if "reply" in self.marks and stage.startswith("explainer"):
            self.marks.setdefault("reply complete", time.perf_counter() - self.started)

    def on_token(self, part: str, text: str) -> None:
        now = time.perf_counter() - self.started
        self.marks.setdefault("first word", now)
        if part == "reply":
            self.marks["reply"] = now


def _setup(data: Path) -> None:
    env = {**os.environ, "DRAFTER_DATA_DIR": str(data), "DRAFTER_PASSWORD": "doctor-demo"}
    cli = [sys.executable, "-m", "drafter"]
    for args in (
        ["ingest", "--sample", "--quiet"],
        ["user", "demo"],
        ["questions", "add", "--file", str(INBOX), "--user", "doctor"],
    ):
        subprocess.run([*cli, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10, help="inbox questions to draft")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drafter-app-latency-") as tmp:
        data = Path(tmp)
        os.environ["DRAFTER_DATA_DIR"] = str(data)
        print("setting up: the sample knowledge base, the demo accounts and inbox…", flush=True)
        _setup(data)
        services = Services(load_settings())
        try:
            workflow = services.workflow()
            with workflow.sessions() as session:
                doctor = get_user(session, "doctor")
            assert doctor is not None
            questions = sorted(workflow.questions(), key=lambda q: q.id)[: args.questions]
            runs: list[dict[str, float]] = []
            load = []
            for q in [*questions, questions[0]]:
                clock = Clock()
                draft_version(
                    workflow,
                    doctor,
                    q,
                    workflow.latest(q.id),
                    retriever=services.retriever(),
                    llm=services.chat_backend(),
                    settings=services.settings,
                    listener=clock,
                    triage=services.triager(),
                )
                clock.marks["page saved"] = time.perf_counter() - clock.started
                runs.append(clock.marks)
                load.append(os.getloadavg()[0])
                shown = "  ".join(f"{m} {clock.marks.get(m, float('nan')):6.1f} s" for m in MARKS)
                print(f"#{q.id:<3} {shown}", flush=True)
        finally:
            services.close()
    first, again, timed = runs[0], runs[-1], runs[:-1]
    print(f"\n{len(timed)} questions, load average {min(load):.1f}-{max(load):.1f}")
    print(f"{'seconds from the click':<24}{'p50':>8}{'p95':>8}{'mean':>8}")
    for mark in MARKS:
        values = [r[mark] for r in timed if mark in r]
        p50, p95 = quantile(values, 0.5) or 0.0, quantile(values, 0.95) or 0.0
        print(f"{mark:<24}{p50:8.1f}{p95:8.1f}{statistics.mean(values):8.1f}")
    print("\nbaseline: the first question again, everything loaded")
    for mark in MARKS:
        if mark in first and mark in again:
            a, b = first[mark], again[mark]
            print(f"{mark:<24} first {a:6.1f} s  again {b:6.1f} s  x{a / b:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
