"""What the evidence check of a whole page costs once the embedder is loaded, and a re-check.

For each question of the demo inbox and of K-QA dev (../shared, skipped when absent) the page is
retrieved as `drafter draft` would, its reply is the physician's answer (the sample: the top
similar answer) and its More Info the article assembled from the sources, so a page has the
size of a real one. Then, per page, on 2 cores:
  first check    a fresh checker (nothing cached): every source and draft sentence embedded
  re-check       the same checker after one reply sentence is changed: one sentence embedded
  baseline       the same re-check with a fresh checker (what it would cost without the cache)
and prints p50 / p95 in ms and the re-check's ratio to the baseline.

    .venv/bin/python bench/check_cost.py [--pages 40]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import need_shared, percentiles, scratch_retriever  # noqa: E402
from drafter.core.question import PatientQuestion  # noqa: E402
from drafter.core.settings import Settings, load_settings  # noqa: E402
from drafter.drafting.assembled import assemble_explainer  # noqa: E402
from drafter.drafting.evidence import EvidenceChecker  # noqa: E402
from drafter.drafting.page_check import check_page  # noqa: E402
from drafter.drafting.sections import choose_plan  # noqa: E402
from drafter.drafting.sources import Source, build_sources  # noqa: E402
from knowledge import sample_files  # noqa: E402
from knowledge.ingest import ingest_files  # noqa: E402

INBOX = Path(__file__).resolve().parents[1] / "knowledge" / "sample" / "inbox.jsonl"


def questions(limit: int) -> list[tuple[str, str | None]]:
    """(question, physician answer or None) pairs: the demo inbox, then K-QA dev."""
    rows: list[tuple[str, str | None]] = [
        (json.loads(line)["question"], None) for line in INBOX.read_text().splitlines()
    ]
    if (kqa := need_shared("kqa", "kqa_dev.jsonl")) is not None:
        for line in kqa.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["question"], row.get("answer") or None))
    return rows[:limit]


@dataclass(frozen=True)
class Page:
    question: PatientQuestion
    sources: list[Source]
    settings: Settings
    sentences: list[int]  # each check's sentence count is appended here

    def check(self, checker: EvidenceChecker, parts: dict[str, str]) -> float:
        """Seconds to check `parts` with `checker`."""
        started = time.perf_counter()
        found = check_page(
            parts,
            question=self.question,
            sources=self.sources,
            flagged=False,
            checker=checker,
            settings=self.settings,
        )
        self.sentences.append(len(found))
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    settings = load_settings()
    first, again, baseline, sentences = [], [], [], list[int]()
    assembled = 0
    with scratch_retriever(settings) as retriever:
        ingest_files(retriever, sample_files())
        warm = EvidenceChecker(retriever.embedder)
        warm.vectors(["the embedder is loaded before anything is timed"])
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        for text, answer in questions(args.pages):
            question = PatientQuestion.create(text)
            result = retriever.page(text, k=settings.similar_k, m=settings.faq_k)
            sources = build_sources(result, qa=3, faq=2, chars=settings.source_chars)
            reply = answer or (sources[0].facts if sources else "")
            plan = choose_plan(text)
            explainer = assemble_explainer(plan.headings, sources, text, warm.vectors) or ""
            texts = {"reply": reply, "explainer": explainer}

            assembled += bool(explainer)
            page = Page(question, sources, settings, sentences)
            checker = EvidenceChecker(retriever.embedder)
            first.append(page.check(checker, texts))
            edited = {**texts, "reply": reply + " Rest and see your doctor if it gets worse."}
            again.append(page.check(checker, edited))
            baseline.append(page.check(EvidenceChecker(retriever.embedder), edited))
    pages = len(first)
    print(f"{pages} pages, {sum(sentences) / (3 * pages):.0f} draft sentences per page on average")
    print(f"More Info assembled from the sources: {assembled} of {pages} pages (else reply only)")
    print(f"{'':<14} {'p50 ms':>8} {'p95 ms':>8}")
    for name, samples in (("first check", first), ("re-check", again), ("baseline", baseline)):
        p50, p95 = percentiles(samples)
        print(f"{name:<14} {p50:>8.0f} {p95:>8.0f}")
    ratio = percentiles(again)[0] / percentiles(baseline)[0]
    print(f"re-check / baseline (p50): {ratio:.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
