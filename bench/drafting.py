"""Drafting benchmark: the local model through Drafter vs raw llama.cpp on the same prompts.

For the title, the short reply and the explainer of one realistic question (the seed page's),
prints time to first token, total time, tokens per second and prompt size, for Drafter's pipeline
and, in the same process on the same loaded model and prompt, for llama.cpp's own streaming
generation. Run with `make bench` or `python bench/drafting.py [--runs N] [--raw-first]`.

The page is drafted as the app drafts it: title, reply, explainer. The reply's prompt starts as
the title's does (system prompt and fenced question), so llama.cpp evaluates only the rest: its
"evaluated" column is smaller than "prompt tokens", while "raw" (after `reset()`, nothing cached)
evaluates the whole prompt. The summary's timing columns use each part's first attempt; "all
tries s" is what a doctor waits for the part, retries included. A retry (after a failed output
check) sends the same prompt plus a short note on what was wrong, so llama.cpp evaluates only
the note. A stream the pipeline stops early (a runaway loop) is timed up to the stop. "prompt
tokens" and "evaluated" come from llama.cpp's own counters.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import WrappedBackend, scratch_retriever  # noqa: E402
from drafter.backends.factory import make_chat_backend  # noqa: E402
from drafter.backends.llamacpp import LlamaCppChatModel, load_llama  # noqa: E402
from drafter.backends.local_model import resolve_local_model  # noqa: E402
from drafter.core.question import PatientQuestion  # noqa: E402
from drafter.core.settings import load_settings  # noqa: E402
from drafter.drafting.pipeline import draft_page  # noqa: E402
from drafter.drafting.specs import TITLE_MAX_TOKENS  # noqa: E402
from knowledge import sample_files  # noqa: E402
from knowledge.ingest import ingest_files  # noqa: E402
from prompts import Message  # noqa: E402

QUESTION = PatientQuestion.create(
    "On January 30 I had a compression fracture of the T12 vertebra after a fall and had a "
    "balloon kyphoplasty on May 13. Since then I have pain and numbness in my lower back and left "
    "leg, and my left foot sometimes feels weak when stepping over thresholds. The X-ray showed "
    "cement leakage into the disc space. Could this be related to my symptoms? Will it cause "
    "long-term problems?",
    "70-79",
    "female",
)


REPEAT_PENALTY = LlamaCppChatModel.model_fields["repeat_penalty"].default


@dataclass
class Call:
    part: str
    messages: list[Message]
    attempt: int = 1
    first_token: float = 0.0
    total: float = 0.0
    text: str = ""
    evaluated: int = 0  # prompt tokens llama.cpp actually evaluated (the rest came from its cache)


@dataclass
class TimingBackend(WrappedBackend):
    """Wraps a backend and times each call as the pipeline makes it."""

    llama: object = None
    calls: list[Call] = field(default_factory=list)
    part: str = ""

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        attempt = 1 + sum(c.part == self.part for c in self.calls)
        call = Call(self.part, list(messages), attempt)
        before = prompt_evaluated(self.llama)
        started = time.perf_counter()
        try:
            for piece in self.inner.stream(
                messages, max_tokens=max_tokens, temperature=temperature
            ):
                if not call.text:
                    call.first_token = time.perf_counter() - started
                call.text += piece
                yield piece
        finally:  # also when the pipeline stops a runaway stream early
            call.total = time.perf_counter() - started
            call.evaluated = prompt_evaluated(self.llama) - before
            self.calls.append(call)


def prompt_evaluated(llama: object) -> int:
    """llama.cpp's running count of prompt tokens evaluated in this context."""
    import llama_cpp

    return int(llama_cpp.llama_perf_context(llama._ctx.ctx).n_p_eval)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Row:
    """One call's figures, ours and raw llama.cpp's on the same prompt."""

    run: int
    part: str
    attempt: int
    prompt_tokens: int
    evaluated: int
    ttft: float
    total: float
    tokens: int
    tps: float
    raw_ttft: float
    raw_total: float
    raw_tokens: int
    raw_tps: float
    text: str  # what Drafter's call generated (in --json only)


class PartTracker:
    """Tells the backend which part the pipeline is generating."""

    def __init__(self, backend: TimingBackend | PromptCapture) -> None:
        self.backend = backend

    def on_stage(self, stage: str) -> None:
        self.backend.part = stage.split(" ")[0]

    def on_token(self, part: str, text: str) -> None:
        pass


def raw_llama(
    llama: object, messages: list[Message], max_tokens: int
) -> tuple[float, float, str, int]:
    """llama.cpp's own streaming chat completion after reset() (the whole prompt is evaluated),
    with our sampling settings: (first token s, total s, text, prompt tokens evaluated)."""
    llama.reset()  # type: ignore[attr-defined]
    before = prompt_evaluated(llama)
    started = time.perf_counter()
    first, text = 0.0, ""
    for part in llama.create_chat_completion(  # type: ignore[attr-defined]
        messages=[{"role": m.role, "content": m.content} for m in messages],
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        repeat_penalty=REPEAT_PENALTY,
    ):
        delta = part["choices"][0]["delta"].get("content")
        if delta:
            first = first or time.perf_counter() - started
            text += delta
    return first, time.perf_counter() - started, text, prompt_evaluated(llama) - before


class PromptCapture:
    """A backend that generates nothing and keeps each part's first prompt (for --raw-first)."""

    model_id = "capture"
    remote = False

    def __init__(self) -> None:
        self.part = ""
        self.sent: dict[str, list[Message]] = {}

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        self.sent.setdefault(self.part, list(messages))
        yield ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="drafts per side (default 2)")
    parser.add_argument(
        "--raw-first",
        action="store_true",
        help="time raw llama.cpp on each prompt before Drafter's draft (default: after)",
    )
    parser.add_argument("--json", type=Path, help="also write every call's figures here")
    args = parser.parse_args()
    settings = load_settings(temperature=0.0)
    path = resolve_local_model(settings)
    llama = load_llama(path, settings.local_n_ctx, settings.local_threads)
    print(f"model: {path.name}, {settings.local_threads} threads, n_ctx {settings.local_n_ctx}")
    print(
        f"reply sources: {settings.reply_sources} x {settings.reply_source_chars} chars; "
        f"order: {'raw first' if args.raw_first else 'Drafter first'}; "
        f"load average at start: {os.getloadavg()[0]:.2f}"
    )
    limits = {
        "title": TITLE_MAX_TOKENS,
        "reply": settings.reply_max_tokens,
        "explainer": settings.explainer_max_tokens,
    }
    raw_llama(llama, [Message("user", "Say hello.")], 4)  # warm up: page the weights in once
    calls: list[Row] = []
    with scratch_retriever(settings) as retriever:
        ingest_files(retriever, sample_files())
        for run in range(1, args.runs + 1):
            raw: dict[str, tuple[float, float, str, int]] = {}
            if args.raw_first:  # the prompts are the same whatever the model answers
                capture = PromptCapture()
                draft_page(
                    QUESTION,
                    retriever=retriever,
                    llm=capture,
                    settings=settings,
                    listener=PartTracker(capture),
                    parts=("title", "reply", "explainer"),
                )
                for part, messages in capture.sent.items():
                    raw[part] = raw_llama(llama, messages, limits[part])
            backend = TimingBackend(make_chat_backend(settings, "local"), llama)
            llama.reset()
            draft_page(
                QUESTION,
                retriever=retriever,
                llm=backend,
                settings=settings,
                listener=PartTracker(backend),
                parts=("title", "reply", "explainer"),
            )
            for call in backend.calls:
                if call.attempt == 1 and call.part not in raw:
                    raw[call.part] = raw_llama(llama, call.messages, limits[call.part])
                raw_first, raw_total, raw_text, raw_evaluated = raw[call.part]
                ours_tokens = len(llama.tokenize(call.text.encode(), add_bos=False))
                raw_tokens = len(llama.tokenize(raw_text.encode(), add_bos=False))
                calls.append(
                    Row(
                        run,
                        call.part,
                        call.attempt,
                        raw_evaluated,
                        call.evaluated,
                        call.first_token,
                        call.total,
                        ours_tokens,
                        ours_tokens / max(call.total - call.first_token, 1e-9),
                        raw_first,
                        raw_total,
                        raw_tokens,
                        raw_tokens / max(raw_total - raw_first, 1e-9),
                        call.text,
                    )
                )
    print_calls(calls)
    print_summary(calls)
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in calls], indent=1), encoding="utf-8")
    return 0


def print_calls(calls: list[Row]) -> None:
    print(
        f"\n{'run':>3} {'part':<10} {'try':>3} {'prompt tok':>10} {'evaluated':>9} "
        f"{'TTFT s':>7} {'raw TTFT':>8} {'total s':>7} {'tokens':>6} {'tok/s':>6} {'raw tok/s':>9}"
    )
    for c in calls:
        print(
            f"{c.run:>3} {c.part:<10} {c.attempt:>3} {c.prompt_tokens:>10} {c.evaluated:>9} "
            f"{c.ttft:>7.2f} {c.raw_ttft:>8.2f} {c.total:>7.1f} {c.tokens:>6} {c.tps:>6.1f} "
            f"{c.raw_tps:>9.1f}"
        )


def print_summary(calls: list[Row]) -> None:
    """Medians over each part's first attempts: what a doctor waits for on a new question."""
    print(
        f"\n{'part':<10} {'prompt tok':>10} {'TTFT s':>7} {'raw TTFT':>8} {'total s':>8} "
        f"{'tok/s':>6} {'raw tok/s':>9} {'overhead':>8} {'all tries s':>11} {'retried':>7}"
        "  (medians; first attempts, except the last two columns)"
    )
    for part in ("title", "reply", "explainer"):
        firsts = [asdict(c) for c in calls if c.part == part and c.attempt == 1]
        if not firsts:
            continue
        numbers = [k for k, v in firsts[0].items() if isinstance(v, int | float)]
        m = {k: statistics.median(float(c[k]) for c in firsts) for k in numbers}
        overhead = m["raw_tps"] / m["tps"] - 1 if m["tps"] else float("nan")
        runs = sorted({c.run for c in calls if c.part == part})
        waited = statistics.median(
            sum(c.total for c in calls if c.part == part and c.run == r) for r in runs
        )
        retried = sum(
            any(c.attempt > 1 for c in calls if c.part == part and c.run == r) for r in runs
        )
        print(
            f"{part:<10} {m['prompt_tokens']:>10.0f} {m['ttft']:>7.2f} {m['raw_ttft']:>8.2f} "
            f"{m['total']:>8.1f} {m['tps']:>6.1f} {m['raw_tps']:>9.1f} {overhead:>8.1%} "
            f"{waited:>11.1f} {retried:>3}/{len(runs):<3}"
        )
    for c in calls:
        if c.attempt != 1:
            print(
                f"retry: {c.part} (run {c.run}) first token after {c.ttft:.2f} s: "
                f"{c.evaluated} prompt tokens evaluated (the retry note); the prompt before it "
                "was still in llama.cpp's KV cache from the first attempt"
            )


if __name__ == "__main__":
    sys.exit(main())
