"""Train the semantic layer's classifier: `python -m drafter.triage.train` (or `make triage-model`).

Reads the train and dev splits of knowledge/eval/triage/ (the labelled messages and the routine
questions), embeds every sentence with the bundled MiniLM, fits one logistic regression per
category on the sentences (a sentence holding a message's evidence is a positive for the
message's categories; every other sentence, and every sentence of a message without a flag, is a
negative), tunes the thresholds on out-of-fold scores within a false-alarm budget, and writes
drafter/triage/data/semantic.npz. The same data and code give the same weights; the test split is
never read.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from drafter.triage import context
from drafter.triage.categories import categories
from drafter.triage.semantic import MODEL_PATH, Embed, SemanticModel
from drafter.triage.stage import lexicon_findings

SETS = Path(__file__).resolve().parents[2] / "knowledge" / "eval" / "triage"
GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)
# The semantic layer may add at most this share of false alarms to the lexicon's, out of fold:
# the smallest budget at which leaving one writer out gave an any-flag recall of 0.97 (on train
# and dev, 2026-12-02: 0.01 gave 0.956, 0.03 0.964, 0.05 0.972, 0.08 0.979).
FALSE_ALARM_BUDGET = 0.05
# How much more a sentence of a message without a flag weighs in fitting: leaving one writer out
# on train and dev (2026-12-04; any-flag recall, category recall, false alarms) 2 gave 0.966 /
# 0.937 / 0.165, 4 0.972 / 0.944 / 0.152, 8 0.981 / 0.950 / 0.157, 16 0.982 / 0.952 / 0.165.
NEGATIVE_WEIGHT = 8.0
# Out-of-fold scores leave out one writer at a time (`WRITERS`), so the thresholds are chosen on
# phrasings the model has not seen from that hand: what a message written elsewhere gets.
WRITERS = 0
FOLDS = WRITERS


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def sentence_examples(
    rows: Sequence[dict[str, Any]], names: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """Sentences and their labels (sentences × categories)."""
    texts, labels = [], []
    index = {c: i for i, c in enumerate(names)}
    for row in rows:
        text = str(row["question"])
        flags = [str(f) for f in row.get("red_flags") or [] if f in index]
        evidence = [str(e) for e in row.get("evidence") or []]
        spans = context.sentences(text) or [(0, len(text))]
        starts = [(text.find(e), len(e)) for e in evidence if e]
        places = [(start, start + n) for start, n in starts if start >= 0]
        for start, end in spans:
            y = np.zeros(len(names))
            holds = any(s < end and start < e for s, e in places) or (flags and not places)
            if holds:
                y[[index[f] for f in flags]] = 1
            texts.append(text[start:end])
            labels.append(y)
    return texts, np.array(labels)


def message_scores(
    model: SemanticModel, embed: Embed, rows: Sequence[dict[str, Any]]
) -> np.ndarray:
    """Each message's highest sentence score per category (messages × categories)."""
    return np.array([model.sentence_scores(str(r["question"]), embed)[1].max(axis=0) for r in rows])


def rates(hit: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """Category recall and any-flag recall of the messages with a flag, and the false-alarm rate
    of those without."""
    positive = labels.any(axis=1)
    category_recall = (hit & labels).sum() / max(labels.sum(), 1)
    any_recall = hit[positive].any(axis=1).mean() if positive.any() else 0.0
    false_alarms = hit[~positive].any(axis=1).mean() if (~positive).any() else 0.0
    return float(category_recall), float(any_recall), float(false_alarms)


def message_labels(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> np.ndarray:
    """Each message's categories (messages × categories, boolean)."""
    return np.array([[n in (r.get("red_flags") or []) for n in names] for r in rows])


def tune_thresholds(
    scores: np.ndarray,
    rows: Sequence[dict[str, Any]],
    names: Sequence[str],
    *,
    budget: float = FALSE_ALARM_BUDGET,
    found: np.ndarray | None = None,
) -> np.ndarray:
    """Thresholds that buy the most dev recall within a false-alarm budget on dev's messages
    without a flag: start every category at the top of the grid and, greedily, lower the one
    whose next step that gains anything gains the most recall while the added false alarms stay
    within the budget.
    `found` (messages × categories) is what the other layers already flag: recall they have is
    no gain, and a false alarm they raise costs nothing more."""
    labels = message_labels(rows, names)
    found = np.zeros_like(labels) if found is None else found
    steps = np.full(len(names), len(GRID) - 1)
    # Some messages without a flag score over any threshold (a past stroke reads like a stroke
    # to a sentence embedding): the budget is what lowering thresholds may add to those.
    allowed = rates(found | (scores >= GRID[steps]), labels)[2] + budget
    while True:
        base = sum(rates(found | (scores >= GRID[steps]), labels)[:2])
        best, choice = 0.0, None
        for j in np.nonzero(steps > 0)[0]:
            # Look down past plateaus: the first lower step that gains anything, per category.
            for step in range(steps[j] - 1, -1, -1):
                trial = steps.copy()
                trial[j] = step
                category, any_flag, false_alarms = rates(found | (scores >= GRID[trial]), labels)
                if false_alarms > allowed + 1e-9:
                    break
                gain = category + any_flag - base
                if gain > 1e-9:
                    if gain > best + 1e-9:
                        best, choice = gain, (j, step)
                    break
        if choice is None:
            return GRID[steps].astype(float)
        steps[choice[0]] = choice[1]


def writer(row: dict[str, Any]) -> str:
    """Who wrote a message: its id's prefix (`a-stroke-3` is writer a's)."""
    return str(row["id"]).split("-", 1)[0]


def writer_folds(rows: Sequence[dict[str, Any]]) -> list[int]:
    """One fold per writer of labelled messages; the routine questions of writers with no
    labelled messages are dealt round the folds."""
    labelled = sorted({writer(r) for r in rows if r.get("kind") != "routine"})
    spare = iter(range(len(rows)))
    return [
        labelled.index(writer(r)) if writer(r) in labelled else next(spare) % len(labelled)
        for r in rows
    ]


def remembered(embed: Embed) -> Embed:
    """`embed` that embeds each distinct text once."""
    seen: dict[str, np.ndarray] = {}

    def cached(texts: Sequence[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in seen))
        if new:
            seen.update(zip(new, embed(new), strict=True))
        return np.array([seen[t] for t in texts])

    return cached


def fit(
    embed: Embed,
    rows: Sequence[dict[str, Any]],
    names: Sequence[str],
    *,
    c: float,
    negative_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per category on the sentences of `rows`: weights and biases."""
    from sklearn.linear_model import LogisticRegression

    texts: list[str] = []
    rows_labels: list[np.ndarray] = []
    weight: list[float] = []
    for row in rows:  # a sentence of a message with no flag weighs more: false alarms cost
        row_texts, row_labels = sentence_examples([row], names)
        texts += row_texts
        rows_labels += list(row_labels)
        weight += [1.0 if row.get("red_flags") else negative_weight] * len(row_texts)
    vectors, labels = embed(texts), np.array(rows_labels)
    weights, bias = [], []
    for j in range(len(names)):
        if labels[:, j].sum() == 0:
            weights.append(np.zeros(vectors.shape[1]))
            bias.append(-10.0)
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(vectors, labels[:, j], sample_weight=np.array(weight))
        weights.append(model.coef_[0])
        bias.append(float(model.intercept_[0]))
    return np.array(weights), np.array(bias)


def train(
    embed: Embed,
    embedder: str,
    *,
    sets: Path = SETS,
    c: float = 2.0,
    negative_weight: float = NEGATIVE_WEIGHT,
    folds: int = FOLDS,
    report: Callable[[str], None] = lambda line: None,
) -> SemanticModel:
    """Weights fitted on train and dev together; thresholds tuned on out-of-fold scores (each
    message scored by a model fitted without its fold: by default without its writer's
    messages), so they are chosen on every labelled message the model did not see rather than on
    dev's few dozen negatives alone."""
    names = tuple(categories())
    embed = remembered(embed)  # each fold embeds the same sentences
    rows = [
        *read(sets / "train.jsonl"),
        *read(sets / "routine_train.jsonl"),
        *read(sets / "dev.jsonl"),
        *read(sets / "routine_dev.jsonl"),
    ]
    fold = writer_folds(rows) if folds == WRITERS else [i % folds for i in range(len(rows))]
    scores = np.zeros((len(rows), len(names)))
    for k in sorted(set(fold)):
        weights, bias = fit(
            embed, [r for r, f in zip(rows, fold, strict=True) if f != k], names,
            c=c, negative_weight=negative_weight,
        )  # fmt: skip
        held = [i for i, f in enumerate(fold) if f == k]
        model = SemanticModel(names, weights, bias, np.full(len(names), 0.5), embedder)
        scores[held] = message_scores(model, embed, [rows[i] for i in held])
    # Tuned for what the semantic layer adds to the lexicon, the layer it runs beside.
    found = np.array(
        [[n in {f.category for f in lexicon_findings(str(r["question"]))} for n in names]
         for r in rows]
    )  # fmt: skip
    thresholds = tune_thresholds(scores, rows, names, found=found)
    labels = message_labels(rows, names)
    category, any_flag, false_alarms = rates(found | (scores >= thresholds), labels)
    report(
        f"out of fold, with the lexicon: any-flag recall {any_flag:.3f}, category recall "
        f"{category:.3f}, false alarms {false_alarms:.3f} ({len(rows)} messages)"
    )
    weights, bias = fit(embed, rows, names, c=c, negative_weight=negative_weight)
    return SemanticModel(names, weights, bias, thresholds, embedder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the weights")
    args = parser.parse_args(argv)
    from drafter.core.environment import go_offline
    from knowledge.embeddings import local_embedder

    go_offline()
    # Trained on PyTorch's vectors: ONNX Runtime's, what the app embeds with, differ by ~1e-7,
    # no decision changes on them, but the greedy threshold search is not that stable.
    embedder = local_embedder(runtime="torch")
    model = train(embedder.embed, embedder.name, report=print)
    model.save(args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.1f} KB, {len(model.categories)} categories)")
    for name, t in zip(model.categories, model.thresholds, strict=True):
        print(f"  {name:<28} threshold {t:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
