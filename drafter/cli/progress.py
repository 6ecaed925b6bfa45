"""What the commands show on stderr while they work: progress bars and the drafting stages."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drafter.jobs.explain import ItemResult


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


class TqdmBatch:
    """The progress bar on stderr (items done, rate, time left); failures are printed above it."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def on_start(self, total: int, concurrency: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, desc="explainers", unit="item", disable=self.quiet, file=sys.stderr
        )

    def on_result(self, result: ItemResult) -> None:
        if result.outcome == "failed":
            self.on_notice(f"failed {result.qa_id}: {result.detail}")
        if self.bar is not None:
            self.bar.update(1)

    def on_notice(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
