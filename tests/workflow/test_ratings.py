"""Scores are checked in the one place that stores them (`ratings.add_rating`), whoever calls:
rubric axes on their scales (1-3, empathy and readability 1-5), older flat keys 1-5."""

from __future__ import annotations

from typing import Any

import pytest

from drafter.core.errors import InputError
from drafter.workflow.rubric import AXES, RUBRIC, RUBRIC_ID
from tests.support.workflow_kit import Desk, drafted

FULL = {axis.key: axis.top for axis in RUBRIC}


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"empathy": 1_000_000}, "Empathy: 1000000 is not a score from 1 to 5"),
        ({"consensus": 4}, "Agreement with medical consensus: 4 is not a score from 1 to 3"),
        ({"empathy": 0}, "is not a score from 1 to 5"),
        ({"empathy": True}, "True is not a score"),
        ({"empathy": 2.5}, "2.5 is not a score"),
        ({"accuracy": 6}, "accuracy: 6 is not a score from 1 to 5"),
        ({"tone": "great"}, "'great' is not a score"),
        ({}, "a rating needs its scores"),
        (
            {"rubric": RUBRIC_ID, "mode": "final", "axes": {**FULL, "empathy": 1_000_000}},
            "Empathy: 1000000 is not a score from 1 to 5",
        ),
        (
            {"rubric": RUBRIC_ID, "mode": "ab", "axes": FULL, "other_axes": {**FULL, "harm": 2}},
            "unknown rubric axis: harm",
        ),
        ({"rubric": RUBRIC_ID, "mode": "ab", "axes": FULL, "preferred": "C"}, "A, B or tie"),
        ({"rubric": "mine", "mode": "final", "axes": FULL}, "needs rubric 'physician-v1'"),
        ({"rubric": RUBRIC_ID, "mode": "final", "axes": [5, 5]}, "axes must map each"),
    ],
)
def test_a_score_off_the_scale_is_a_clear_input_error_and_nothing_is_stored(
    desk: Desk, scores: dict[str, Any], message: str
) -> None:
    _, v1 = drafted(desk)
    before = desk.workflow.audit()
    with pytest.raises(InputError, match=message):
        desk.workflow.rate(desk.reviewer, v1.id, scores)
    assert desk.workflow.ratings() == []
    assert desk.workflow.audit() == before


def test_scores_on_the_scales_are_stored_as_given(desk: Desk) -> None:
    _, v1 = drafted(desk)
    lowest = {key: 1 for key in AXES}
    payloads: list[dict[str, Any]] = [
        {"rubric": RUBRIC_ID, "mode": "final", "part": "reply", "axes": FULL},
        {"rubric": RUBRIC_ID, "mode": "ab", "axes": FULL, "other_axes": lowest, "preferred": "A"},
        {"empathy": 5, "citations": 3, "accuracy": 1},  # an older flat rating
    ]
    for scores in payloads:
        desk.workflow.rate(desk.reviewer, v1.id, scores)
    assert [r.scores for r in desk.workflow.ratings()] == payloads
