"""Drafting benchmark: the local model through Drafter vs raw llama.cpp on the same prompts.

For the short reply and the explainer of one realistic question (the seed page's), prints time to
first token, total time, tokens per second and prompt size, for Drafter's pipeline and, in the
same process on the same loaded model and prompt, for llama.cpp's own streaming generation. Run
with `make bench` or `python bench/drafting.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import scratch_retriever  # noqa: E402
from drafter.llm import ChatBackend, load_llama, make_chat_backend  # noqa: E402
from drafter.local_model import resolve_local_model  # noqa: E402
from drafter.pipeline import PatientQuestion, draft_page  # noqa: E402
from drafter.settings import load_settings  # noqa: E402
from knowledge import SAMPLE_DIR  # noqa: E402
from knowledge.ingest import ingest_files  # noqa: E402
from prompts import Message  # noqa: E402

QUESTION = PatientQuestion(
    "On January 30 I had a compression fracture of the T12 vertebra after a fall and had a "
    "balloon kyphoplasty on May 13. Since then I have pain and numbness in my lower back and left "
    "leg, and my left foot sometimes feels weak when stepping over thresholds. The X-ray showed "
    "cement leakage into the disc space. Could this be related to my symptoms? Will it cause "
    "long-term problems?",
    "70-79",
    "female",
)


@dataclass
class Call:
    part: str
    messages: list[Message]
    first_token: float = 0.0
    total: float = 0.0
    text: str = ""


@dataclass
class TimingBackend:
    """Wraps a backend and times each call as the pipeline makes it."""

    inner: ChatBackend
    calls: list[Call] = field(default_factory=list)
    part: str = ""

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def remote(self) -> bool:
        return self.inner.remote

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str]:
        call = Call(self.part, list(messages))
        started = time.perf_counter()
        for piece in self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature):
            if not call.text:
                call.first_token = time.perf_counter() - started
            call.text += piece
            yield piece
        call.total = time.perf_counter() - started
        self.calls.append(call)


class PartTracker:
    def __init__(self, backend: TimingBackend) -> None:
        self.backend = backend

    def on_stage(self, stage: str) -> None:
        self.backend.part = stage.split(" ")[0]

    def on_token(self, part: str, text: str) -> None:
        pass


def raw_llama(llama: object, messages: list[Message], max_tokens: int) -> tuple[float, float, str]:
    """llama.cpp's own streaming chat completion: (first token s, total s, text)."""
    llama.reset()  # type: ignore[attr-defined]
    started = time.perf_counter()
    first, text = 0.0, ""
    for part in llama.create_chat_completion(  # type: ignore[attr-defined]
        messages=[{"role": m.role, "content": m.content} for m in messages],
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
    ):
        delta = part["choices"][0]["delta"].get("content")
        if delta:
            first = first or time.perf_counter() - started
            text += delta
    return first, time.perf_counter() - started, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="drafts per side (default 2)")
    args = parser.parse_args()
    settings = load_settings(temperature=0.0)
    path = resolve_local_model(settings)
    llama = load_llama(path, settings.local_n_ctx, settings.local_threads)
    print(f"model: {path.name}, {settings.local_threads} threads, n_ctx {settings.local_n_ctx}")
    with scratch_retriever(settings) as retriever:
        ingest_files(retriever, sorted(SAMPLE_DIR.glob("*.jsonl")))
        rows: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.runs):
            backend = TimingBackend(make_chat_backend(settings, "local"))
            llama.reset()
            draft_page(
                QUESTION,
                retriever=retriever,
                llm=backend,
                settings=settings,
                listener=PartTracker(backend),
                parts=("reply", "explainer"),
            )
            for call in backend.calls:
                limit = (
                    settings.reply_max_tokens
                    if call.part == "reply"
                    else settings.explainer_max_tokens
                )
                raw_first, raw_total, raw_text = raw_llama(llama, call.messages, limit)
                ours_tokens = len(llama.tokenize(call.text.encode(), add_bos=False))
                raw_tokens = len(llama.tokenize(raw_text.encode(), add_bos=False))
                prompt = "\n".join(m.content for m in call.messages)
                stats = rows.setdefault(call.part, {})
                for key, value in (
                    ("prompt_tokens", len(llama.tokenize(prompt.encode()))),
                    ("ttft", call.first_token),
                    ("total", call.total),
                    ("tps", ours_tokens / max(call.total - call.first_token, 1e-9)),
                    ("raw_ttft", raw_first),
                    ("raw_total", raw_total),
                    ("raw_tps", raw_tokens / max(raw_total - raw_first, 1e-9)),
                ):
                    stats.setdefault(key, []).append(value)
    print(
        f"\n{'part':<10} {'prompt tok':>10} {'TTFT s':>7} {'raw TTFT':>8} {'total s':>8} "
        f"{'tok/s':>6} {'raw tok/s':>9} {'overhead':>8}"
    )
    for part, stats in rows.items():
        m = {k: statistics.median(v) for k, v in stats.items()}
        overhead = m["raw_tps"] / m["tps"] - 1 if m["tps"] else float("nan")
        print(
            f"{part:<10} {m['prompt_tokens']:>10.0f} {m['ttft']:>7.2f} {m['raw_ttft']:>8.2f} "
            f"{m['total']:>8.1f} {m['tps']:>6.1f} {m['raw_tps']:>9.1f} {overhead:>8.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
