"""How `drafter eval` chose its similarity threshold (drafter.measures.SUPPORT_THRESHOLD).

On K-QA dev, each `must_have` statement was written by a physician from that question's answer,
so the answer supports it (a positive); the answer to the most similar *other* question (by
question embedding) mostly does not (a hard negative). For each statement we take the highest
cosine with any sentence of each answer and choose the cut maximising TPR - FPR (Youden's J).

    .venv/bin/python bench/eval_calibration.py
"""

from __future__ import annotations

import json
import time

import numpy as np

from bench.common import need_shared
from drafter.core.settings import load_settings
from drafter.evaluation.measures import (
    SUPPORT_THRESHOLD,
    best_matches,
    split_sentences,
    youden_threshold,
)
from drafter.services import Services


def main() -> None:
    path = need_shared("kqa", "kqa_dev.jsonl")
    if path is None:
        return
    started = time.perf_counter()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    embedder = Services(load_settings()).embedder()
    questions = embedder.embed([r["question"] for r in rows])
    sims = questions @ questions.T
    np.fill_diagonal(sims, -1.0)
    nearest = sims.argmax(axis=1)
    sentences = [split_sentences(r["answer"], min_words=4) for r in rows]
    texts = [s for group in sentences for s in group] + [m for r in rows for m in r["must_have"]]
    vectors = iter(embedder.embed(texts))  # one call: batching is most of the speed
    answers = [np.array([next(vectors) for _ in group]) for group in sentences]
    statements = [np.array([next(vectors) for _ in r["must_have"]]) for r in rows]
    positives: list[float] = []
    negatives: list[float] = []
    for i in range(len(rows)):
        positives += best_matches(statements[i], answers[i])[0].tolist()
        negatives += best_matches(statements[i], answers[nearest[i]])[0].tolist()
    best = youden_threshold(positives, negatives)
    print(f"{len(rows)} questions, {len(positives)} must-have statements")
    print(
        f"positives: median {np.median(positives):.3f}; hard negatives: {np.median(negatives):.3f}"
    )
    print(f"Youden cut {best.threshold:.3f}: TPR {best.tpr:.3f}, FPR {best.fpr:.3f}")
    for cut in (0.5, 0.6, SUPPORT_THRESHOLD, 0.7, 0.8):
        tpr = sum(p >= cut for p in positives) / len(positives)
        fpr = sum(n >= cut for n in negatives) / len(negatives)
        print(f"  cut {cut:.2f}: TPR {tpr:.3f}, FPR {fpr:.3f}")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
