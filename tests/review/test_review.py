"""QA review in the library: the word diff and edit distance, the rubric, storing ratings (only
reviewers), the two comparisons and blinding, the dashboard's figures and CSV, and drafting with
chosen prompt versions from the CLI."""

from __future__ import annotations

import random
from typing import Any

import pytest

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.review import pairs as review
from drafter.review.diff import DiffOp, edit_distance, normalised_edit_distance, word_diff
from drafter.workflow.tables import utcnow
from prompts import load_prompt
from tests.conftest import AppEnv, RunCli
from tests.support.review_kit import FULL, OTHER_PROMPTS, ab_question, approved, drafted_with
from tests.support.workflow_kit import Desk, ai_draft

# --- diff and edit distance -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "distance", "normalised"),
    [
        ("", "", 0, 0.0),
        ("rest the knee", "rest the knee", 0, 0.0),
        ("", "rest the knee", 3, 1.0),
        ("rest the knee", "", 3, 1.0),
        ("a b c", "a x c", 1, 1 / 3),
        ("rest the knee", "rest your knee today", 2, 0.5),
        ("a b", "b a", 2, 1.0),  # no transpositions: two replacements
        ("a  b\nc", "a b c", 0, 0.0),  # whitespace is not a word
        ("Knee pain.", "knee pain", 2, 1.0),  # case and punctuation belong to the word
        ("one two three four five six seven eight nine ten",
         "one two three four five six seven eight nine 10", 1, 0.1),
    ],
)  # fmt: skip
def test_edit_distance_in_words(old: str, new: str, distance: int, normalised: float) -> None:
    assert edit_distance(old, new) == distance
    assert edit_distance(new, old) == distance
    assert normalised_edit_distance(old, new) == pytest.approx(normalised)


def _plain_levenshtein(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_edit_distance_matches_the_textbook_algorithm_on_random_texts() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a = rng.choices("abcd", k=rng.randint(0, 12))
        b = rng.choices("abcd", k=rng.randint(0, 12))
        assert edit_distance(" ".join(a), " ".join(b)) == _plain_levenshtein(a, b)


def test_word_diff_is_structured_ops() -> None:
    assert word_diff("rest the knee", "rest your knee today") == [
        DiffOp("equal", ("rest",), ("rest",)),
        DiffOp("replace", ("the",), ("your",)),
        DiffOp("equal", ("knee",), ("knee",)),
        DiffOp("insert", (), ("today",)),
    ]
    assert word_diff("ice it and rest", "rest") == [
        DiffOp("delete", ("ice", "it", "and"), ()),
        DiffOp("equal", ("rest",), ("rest",)),
    ]
    assert word_diff("", "") == []


# --- the rubric -----------------------------------------------------------------------------------


def test_the_rubric_has_the_issues_axes_each_with_a_labelled_scale() -> None:
    assert [a.key for a in review.RUBRIC] == [
        "consensus", "reasoning", "omission", "harm_extent", "harm_likelihood", "empathy",
        "readability", "citations",
    ]  # fmt: skip
    for axis in review.RUBRIC:
        assert axis.question.endswith("?")
        assert axis.top in (3, 5)
        assert len(set(axis.labels)) == axis.top
        assert (axis.normalised(1), axis.normalised(axis.top)) == (0.0, 1.0)
    assert review.AXES["harm_extent"].label(1) == "Death or severe harm"
    assert review.AXES["empathy"].label(5) == "Very empathetic"


def test_validate_scores_accepts_a_full_rating() -> None:
    assert review.validate_scores(FULL) == FULL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accuracy": 3}, "unknown rubric axis: accuracy"),
        ({"empathy": None}, "missing: Empathy"),
        ({"empathy": 0}, "Empathy: 0 is not a score from 1 to 5"),
        ({"empathy": 6}, "Empathy: 6 is not a score from 1 to 5"),
        ({"consensus": 4}, "Agreement with medical consensus: 4 is not a score from 1 to 3"),
        ({"citations": True}, "is not a score"),
        ({"citations": "3"}, "is not a score"),
        ({"citations": 2.5}, "is not a score"),
    ],
)
def test_validate_scores_refuses_bad_ratings(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        review.validate_scores({**FULL, **change})


def test_a_missing_axis_is_named() -> None:
    partial = {k: v for k, v in FULL.items() if k not in ("omission", "citations")}
    with pytest.raises(InputError, match="missing: Omission of important content, Citations"):
        review.validate_scores(partial)


# --- comparison 1: AI draft against the approved final --------------------------------------------


def test_final_pair_is_the_first_ai_draft_against_the_approved_text(desk: Desk) -> None:
    q = approved(desk, "My knee hurts after running.", approve=False)
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(reply="Regenerated."), kind="regenerate")
    desk.workflow.save_edit(
        desk.doctor, q.id, base=2, title="T", reply="Hello, rest the knee [1].", explainer="E"
    )
    assert review.final_pair(desk.workflow, q) is None  # not approved yet
    desk.workflow.approve(desk.doctor, q.id, "reply")
    pair = review.final_pair(desk.workflow, desk.workflow.question(q.id))
    assert pair is not None
    assert (pair.ai.number, pair.final.number) == (1, 3)
    assert pair.ai_text == "Hello, rest the knee for a week and ice it twice a day [1]."
    assert pair.final_text == "Hello, rest the knee [1]."
    assert pair.edit_distance == 9  # "for a week and ice it twice a day" deleted
    assert pair.word_counts == (14, 5)
    assert pair.normalised_edit_distance == pytest.approx(9 / 14)
    assert review.final_pair(desk.workflow, desk.workflow.question(q.id), "explainer") is None
    assert [p.question.id for p in review.final_pairs(desk.workflow)] == [q.id]


def test_a_reviewer_rating_is_stored_with_reviewer_time_and_versions(desk: Desk) -> None:
    q = approved(desk, "My knee hurts after running.", "Hello, rest the knee [1].")
    pair = review.final_pair(desk.workflow, q)
    assert pair is not None
    rating_id = review.rate_final(desk.workflow, desk.reviewer, pair, FULL, "  Too long.  ")
    [rating] = review.ratings(desk.workflow)
    assert rating.id == rating_id
    assert (rating.reviewer, rating.comment, rating.mode, rating.part) == (
        "reviewer",
        "Too long.",
        "final",
        "reply",
    )
    assert (rating.version_id, rating.other_version_id) == (pair.ai.id, pair.final.id)
    assert rating.axes == FULL
    assert abs((utcnow() - rating.created_at).total_seconds()) < 60
    assert list(rating.scored()) == [(pair.ai.id, FULL)]
    event = [e for e in desk.workflow.audit() if e.action == "rate"]
    assert [(e.actor, e.version_id, e.question_id) for e in event] == [
        ("reviewer", pair.ai.id, q.id)
    ]


@pytest.mark.parametrize("role", ["doctor", "editor", "admin"])
def test_only_reviewers_rate_and_a_refusal_stores_nothing(desk: Desk, role: str) -> None:
    q = approved(desk, "My knee hurts after running.")
    pair = review.final_pair(desk.workflow, q)
    assert pair is not None
    with pytest.raises(PermissionDeniedError, match=f"{role} \\({role}\\) may not rate"):
        review.rate_final(desk.workflow, desk.users[role], pair, FULL)
    with pytest.raises(PermissionDeniedError):  # the role is checked before the scores
        review.rate_final(desk.workflow, desk.users[role], pair, {})
    assert review.ratings(desk.workflow) == []


def test_an_incomplete_rating_is_refused_and_not_stored(desk: Desk) -> None:
    q = approved(desk, "My knee hurts after running.")
    pair = review.final_pair(desk.workflow, q)
    assert pair is not None
    with pytest.raises(InputError, match="missing: Empathy"):
        review.rate_final(desk.workflow, desk.reviewer, pair, {**FULL, "empathy": None})
    assert review.ratings(desk.workflow) == []


def test_ratings_from_before_the_rubric_keep_the_axes_it_knows(desk: Desk) -> None:
    q = approved(desk, "My knee hurts after running.")
    v1 = desk.workflow.versions(q.id)[0]
    desk.workflow.rate(desk.reviewer, v1.id, {"accuracy": 4, "empathy": 3})
    [rating] = review.ratings(desk.workflow)
    assert (rating.mode, rating.axes, rating.preferred) == ("single", {"empathy": 3}, None)
    assert review.ratings(desk.workflow, reviewer="someone-else") == []


# --- comparison 2: blind A/B ----------------------------------------------------------------------


def test_ab_pairs_are_model_written_drafts_of_different_setups(desk: Desk) -> None:
    q, versions = ab_question(desk)
    [pair] = review.ab_pairs(desk.workflow)
    assert (pair.question.id, pair.first.number, pair.second.number) == (q.id, 1, 3)
    assert pair.key == f"{q.id}:{versions[0].id}:{versions[2].id}"
    desk.workflow.save_draft(
        desk.doctor, q.id, drafted_with(OTHER_PROMPTS, "big-model"), kind="regenerate"
    )
    assert [(p.first.number, p.second.number) for p in review.ab_pairs(desk.workflow)] == [
        (1, 3),
        (1, 7),
        (3, 7),
    ]


def test_blinding_is_a_recorded_seeded_shuffle(desk: Desk) -> None:
    ab_question(desk)
    [pair] = review.ab_pairs(desk.workflow)
    orders = {seed: review.blind(pair, seed).a.number for seed in range(40)}
    assert set(orders.values()) == {1, 3}  # both sides get to be A
    for seed, a_number in orders.items():
        shown = review.blind(pair, seed)
        assert shown.a.number == a_number  # the same seed, the same order
        assert {shown.a.number, shown.b.number} == {1, 3}
    assert 0 <= review.new_seed() < 2**32


@pytest.mark.parametrize("preferred", ["A", "B", "tie"])
def test_a_blind_rating_records_the_seed_the_sides_and_the_preference(
    desk: Desk, preferred: str
) -> None:
    ab_question(desk)
    [pair] = review.ab_pairs(desk.workflow)
    shown = review.blind(pair, 12345)
    worse = {**FULL, "empathy": 1}
    review.rate_blind(desk.workflow, desk.reviewer, shown, FULL, worse, preferred, "B is cold")
    [rating] = review.ratings(desk.workflow)
    assert (rating.mode, rating.seed, rating.preferred) == ("ab", 12345, preferred)
    assert (rating.version_id, rating.other_version_id) == (shown.a.id, shown.b.id)
    assert list(rating.scored()) == [(shown.a.id, FULL), (shown.b.id, worse)]
    expected = {"A": shown.a.id, "B": shown.b.id, "tie": None}[preferred]
    assert rating.preferred_version_id == expected


def test_a_blind_rating_needs_a_preference_and_a_reviewer(desk: Desk) -> None:
    ab_question(desk)
    shown = review.blind(review.ab_pairs(desk.workflow)[0], 1)
    with pytest.raises(InputError, match="A, B or tie"):
        review.rate_blind(desk.workflow, desk.reviewer, shown, FULL, FULL, None)
    with pytest.raises(PermissionDeniedError):
        review.rate_blind(desk.workflow, desk.doctor, shown, FULL, FULL, "A")
    assert review.ratings(desk.workflow) == []


def test_reveal_names_the_version_model_and_prompts(desk: Desk) -> None:
    _, versions = ab_question(desk)
    assert review.reveal(versions[2]) == (
        "version 3 (regenerate) · model fake:scripted · prompts title v1 · reply v1 · explainer v1"
    )
    assert review.prompt_label(None) == "unknown"


# --- drafting with chosen prompt versions (for A/B pairs) -----------------------------------------


def test_questions_draft_with_older_prompts_makes_an_ab_pair(
    app_env: AppEnv, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf = app_env.workflow()
    q = wf.add_question(wf.login("doctor", "doctor-demo"), "My knee hurts after running.")
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-demo")
    args = ("questions", "draft", str(q.id), "--user", "doctor")
    first = run_cli(*args, "--prompt", "reply=1", "--prompt", "explainer=v1")
    assert first.code == 0, first.err
    assert run_cli(*args).code == 0
    v1, v2 = wf.versions(q.id)
    assert (v1.kind, v2.kind) == ("ai", "regenerate")
    assert "reply=short_reply@v1#" in (v1.prompt_version or "")
    assert "explainer=explainer@v1#" in (v1.prompt_version or "")
    assert f"reply={load_prompt('short_reply').ref}" in (v2.prompt_version or "")
    [pair] = review.ab_pairs(wf)
    assert (pair.first.id, pair.second.id) == (v1.id, v2.id)

    for bad, message in (("reply=9", "has no version 9"), ("answer=1", "takes vN or PART=N")):
        result = run_cli(*args, "--prompt", bad)
        assert (result.code, result.out) == (2, "")
        assert message in result.err
    assert len(wf.versions(q.id)) == 2
