"""The semantic layer: each sentence of the patient's text embedded (the bundled MiniLM) and
scored by a small one-vs-rest classifier per category, trained on our labelled messages by
`python -m drafter.triage.train` and shipped as data/semantic.npz (float16 weights, a few KB).
A sentence scoring over its category's threshold (tuned on the dev split) is a finding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drafter.triage import context, settled
from drafter.triage.categories import DATA, categories
from drafter.triage.findings import Finding, Span

MODEL_PATH = DATA / "semantic.npz"
Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class SemanticModel:
    categories: tuple[str, ...]
    weights: np.ndarray  # (categories, dimensions)
    bias: np.ndarray  # (categories,)
    thresholds: np.ndarray  # (categories,)
    embedder: str  # the embedder the weights were trained on

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SemanticModel | None:
        """The shipped model, or None when it has not been trained yet."""
        if not path.exists():
            return None
        data = np.load(path, allow_pickle=False)
        return cls(
            tuple(str(c) for c in data["categories"]),
            data["weights"].astype(np.float32),
            data["bias"].astype(np.float32),
            data["thresholds"].astype(np.float32),
            str(data["embedder"]),
        )

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(
            path,
            categories=np.array(self.categories),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            embedder=np.array(self.embedder),
        )

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's probability for each category (sentences × categories)."""
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights.T + self.bias)))

    def sentence_scores(self, text: str, embed: Embed) -> tuple[list[Span], np.ndarray]:
        """The text's sentences and each one's scores, read as context leaves it: the words
        negated, past, a relative's history or hypothetical are taken out before embedding, so
        "no numbness down below" is not scored as numbness and a sentence all in context scores
        nothing."""
        spans = context.sentences(text) or [(0, len(text))]
        current = context.current_words(text, spans)
        scores = np.zeros((len(spans), len(self.categories)))
        rows = [i for i, words in enumerate(current) if words]
        if rows:
            scores[rows] = self.scores(embed([current[i] for i in rows]))
        return spans, scores


@dataclass
class SemanticLayer:
    model: SemanticModel
    embed: Embed

    def __call__(self, text: str) -> list[Finding]:
        if not text.strip():
            return []
        spans, scores = self.model.sentence_scores(text, self.embed)
        over = scores >= self.model.thresholds
        # A sentence describes one emergency: of the categories over their threshold, only the
        # one furthest from its threshold towards certainty counts (a chest-pain sentence is not
        # also a clot, though the clot's lower threshold leaves more room above it).
        room = np.maximum(1.0 - self.model.thresholds, 1e-6)
        margin = np.where(over, (scores - self.model.thresholds) / room, -np.inf)
        best = margin.argmax(axis=1)
        known = categories()
        found = []
        for j, category in enumerate(self.model.categories):
            rows = [i for i in range(len(spans)) if over[i, j] and best[i] == j]
            if rows and category in known:
                found.append(
                    Finding.of(
                        known[category],
                        text,
                        [spans[i] for i in rows],
                        confidence=float(scores[rows, j].max()),
                        layer="semantic",
                    )
                )
        return settled.unsettled(text, found)
