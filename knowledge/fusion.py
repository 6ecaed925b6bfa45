"""Pure ranking helpers: weighted reciprocal rank fusion, chunk folding, near-duplicate collapse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fused:
    id: str
    score: float
    ranks: dict[str, int | None]


def weighted_rrf(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: int = 60
) -> list[Fused]:
    """score(d) = sum over retrievers r of w_r / (k + rank_r(d)); ties keep first-seen order.

    Rankings are 1-based; a retriever that did not return d contributes nothing.
    """
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int | None]] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
            ranks.setdefault(doc_id, dict.fromkeys(rankings))[name] = rank
    order = sorted(scores, key=lambda d: -scores[d])
    return [Fused(d, scores[d], ranks[d]) for d in order]


def fold_to_parents(ranking: Sequence[tuple[str, str]]) -> list[str]:
    """[(chunk_id, parent_id)] best first -> parent ids in order of their best chunk."""
    return list(dict.fromkeys(parent for _, parent in ranking))


def collapse_near_duplicates(
    ordered: Sequence[str], vectors: Mapping[str, np.ndarray], threshold: float
) -> list[tuple[str, list[str]]]:
    """Greedy: keep each id unless its cosine with an already kept id is >= threshold.

    Returns (kept_id, [ids folded into it]). Ids without a vector are always kept.
    """
    kept: list[tuple[str, list[str]]] = []
    kept_vectors: list[np.ndarray] = []
    for doc_id in ordered:
        vector = vectors.get(doc_id)
        if vector is not None and kept_vectors:
            sims = np.stack(kept_vectors) @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                owner = [i for i, _ in kept if vectors.get(i) is not None][best]
                next(d for i, d in kept if i == owner).append(doc_id)
                continue
        kept.append((doc_id, []))
        if vector is not None:
            kept_vectors.append(vector)
    return kept
