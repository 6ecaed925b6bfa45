"""Pure ranking helpers: weighted RRF, chunk folding and near-duplicate collapse."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.fusion import Fused, collapse_near_duplicates, fold_to_parents, weighted_rrf


def test_weighted_rrf_hand_computed() -> None:
    fused = weighted_rrf(
        {"dense": ["a", "b", "c"], "bm25": ["b", "d"]}, {"dense": 1.0, "bm25": 0.5}, k=10
    )
    assert [f.id for f in fused] == ["b", "a", "c", "d"]
    expected = {"a": 1 / 11, "b": 1 / 12 + 0.5 / 11, "c": 1 / 13, "d": 0.5 / 12}
    assert {f.id: f.score for f in fused} == pytest.approx(expected)
    assert {f.id: f.ranks for f in fused} == {
        "a": {"dense": 1, "bm25": None},
        "b": {"dense": 2, "bm25": 1},
        "c": {"dense": 3, "bm25": None},
        "d": {"dense": None, "bm25": 2},
    }


def test_weighted_rrf_default_k_is_60() -> None:
    assert weighted_rrf({"x": ["a", "b"]}, {}) == [
        Fused("a", 1 / 61, {"x": 1}),
        Fused("b", 1 / 62, {"x": 2}),
    ]


def test_project_defaults_dense_1_lexical_02_k5() -> None:
    """With the shipped fusion settings, top of both lists scores 1/6 + 0.2/6 = 0.2."""
    fused = weighted_rrf({"dense": ["a", "b"], "bm25": ["a"]}, {"dense": 1.0, "bm25": 0.2}, k=5)
    assert [round(f.score, 6) for f in fused] == [0.2, round(1 / 7, 6)]


@pytest.mark.parametrize(
    ("rankings", "weights", "order"),
    [
        # a and b swap places in the two lists: equal scores, first seen wins
        ({"dense": ["a", "b"], "bm25": ["b", "a"]}, {}, ["a", "b"]),
        ({"bm25": ["b", "a"], "dense": ["a", "b"]}, {}, ["b", "a"]),
        # one hit each, equal weights: order of the retrievers decides
        ({"dense": ["x"], "bm25": ["y"]}, {"dense": 1.0, "bm25": 1.0}, ["x", "y"]),
        # a heavier weight breaks the tie
        ({"dense": ["x"], "bm25": ["y"]}, {"dense": 1.0, "bm25": 2.0}, ["y", "x"]),
        # a zero weight keeps the hit but ranks it last
        ({"dense": ["x"], "bm25": ["y", "x"]}, {"dense": 0.0, "bm25": 1.0}, ["y", "x"]),
    ],
)
def test_weighted_rrf_ties_and_weights(
    rankings: dict[str, list[str]], weights: dict[str, float], order: list[str]
) -> None:
    assert [f.id for f in weighted_rrf(rankings, weights, k=5)] == order


def test_weighted_rrf_missing_weight_defaults_to_one() -> None:
    with_default = weighted_rrf({"dense": ["a"], "other": ["b"]}, {"dense": 1.0}, k=5)
    assert [f.score for f in with_default] == pytest.approx([1 / 6, 1 / 6])


def test_weighted_rrf_retriever_with_no_hits() -> None:
    fused = weighted_rrf({"dense": ["a", "b"], "bm25": []}, {"dense": 1.0, "bm25": 0.2}, k=5)
    assert [(f.id, f.ranks) for f in fused] == [
        ("a", {"dense": 1, "bm25": None}),
        ("b", {"dense": 2, "bm25": None}),
    ]
    assert weighted_rrf({}, {}) == []
    assert weighted_rrf({"dense": []}, {}) == []


@pytest.mark.parametrize(
    ("ranking", "parents"),
    [
        ([], []),
        ([("a", "a")], ["a"]),
        ([("a#0", "a"), ("b#1", "b"), ("a#2", "a"), ("c", "c"), ("b#0", "b")], ["a", "b", "c"]),
        ([("b#3", "b"), ("a#0", "a"), ("b#0", "b")], ["b", "a"]),
    ],
)
def test_fold_to_parents(ranking: list[tuple[str, str]], parents: list[str]) -> None:
    assert fold_to_parents(ranking) == parents


A, B, C = np.array([1.0, 0.0]), np.array([0.6, 0.8]), np.array([0.0, 1.0])
# cos(A, B) = 0.6, cos(B, C) = 0.8, cos(A, C) = 0


@pytest.mark.parametrize(
    ("ordered", "vectors", "threshold", "expected"),
    [
        (["a", "b", "c"], {"a": A, "b": B, "c": C}, 0.95, [("a", []), ("b", []), ("c", [])]),
        (["a", "b", "c"], {"a": A, "b": B, "c": C}, 0.8, [("a", []), ("b", ["c"])]),
        (["a", "b", "c"], {"a": A, "b": B, "c": C}, 0.6, [("a", ["b"]), ("c", [])]),
        # greedy: b is folded into a, so c is only compared with a and is kept
        (["a", "b", "c"], {"a": A, "b": B, "c": C}, 0.5, [("a", ["b"]), ("c", [])]),
        (["b", "a", "c"], {"a": A, "b": B, "c": C}, 0.5, [("b", ["a", "c"])]),
        # identical vectors collapse even at threshold 1.0
        (["a", "a2", "c"], {"a": A, "a2": A.copy(), "c": C}, 1.0, [("a", ["a2"]), ("c", [])]),
        # ids without a vector are always kept and never own duplicates
        (["x", "a", "y", "b", "c"], {"a": A, "b": B, "c": C}, 0.8,
         [("x", []), ("a", []), ("y", []), ("b", ["c"])]),
        (["x", "y"], {}, 0.5, [("x", []), ("y", [])]),
        ([], {"a": A}, 0.5, []),
    ],
)  # fmt: skip
def test_collapse_near_duplicates(
    ordered: list[str],
    vectors: dict[str, np.ndarray],
    threshold: float,
    expected: list[tuple[str, list[str]]],
) -> None:
    assert collapse_near_duplicates(ordered, vectors, threshold) == expected


def test_collapse_with_real_unit_vectors() -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(size=384)
    base /= np.linalg.norm(base)
    noisy = base + 0.05 * rng.normal(size=384) / np.sqrt(384)
    noisy /= np.linalg.norm(noisy)
    other = rng.normal(size=384)
    other /= np.linalg.norm(other)
    vectors = {"orig": base, "twin": noisy, "other": other}
    assert float(base @ noisy) > 0.99
    kept = collapse_near_duplicates(["orig", "other", "twin"], vectors, 0.95)
    assert kept == [("orig", ["twin"]), ("other", [])]
