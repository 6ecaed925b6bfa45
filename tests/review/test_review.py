"""QA review in the library: the word diff and edit distance, the rubric, storing ratings (only
reviewers), the two comparisons and blinding, the dashboard's figures and CSV, and drafting with
chosen prompt versions from the CLI."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, update

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.drafting.draft import Draft
from drafter.review import dashboard
from drafter.review import pairs as review
from drafter.review.diff import DiffOp, edit_distance, normalised_edit_distance, word_diff
from drafter.workflow.doctor import Question, Version
from drafter.workflow.tables import ApprovalRow, QuestionRow, utcnow
from prompts import load_prompt
from tests.conftest import AppEnv, RunCli
from tests.support.workflow_kit import PROMPTS, Desk, ai_draft, make_desk

OTHER_PROMPTS = {
    "title": "title@v1#aaaa",
    "reply": "short_reply@v1#dd",
    "explainer": "explainer@v1#e",
}
FULL = {"consensus": 3, "reasoning": 3, "omission": 2, "harm_extent": 3, "harm_likelihood": 3,
        "empathy": 4, "readability": 5, "citations": 2}  # fmt: skip


@pytest.fixture
def desk(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Desk:
    return make_desk(tmp_path_factory, tmp_path)


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


def approved(
    desk: Desk,
    text: str,
    final_reply: str | None = None,
    *,
    specialty: str = "Orthopedics",
    reply: str = "Hello, rest the knee for a week and ice it twice a day [1].",
    draft: Draft | None = None,
    approve: bool = True,
) -> Question:
    """A question whose AI draft (version 1) is approved as is, or edited to `final_reply`."""
    q = desk.workflow.add_question(desk.doctor, text, specialty=specialty)
    v1 = desk.workflow.save_draft(desk.doctor, q.id, draft or ai_draft(text, reply=reply))
    if final_reply is not None:
        desk.workflow.save_edit(
            desk.doctor, q.id, base=1, title=v1.title, reply=final_reply, explainer=v1.explainer
        )
    if approve:
        desk.workflow.approve(desk.doctor, q.id, "reply")
    return desk.workflow.question(q.id)


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


def drafted_with(prompts: dict[str, str], model: str = "fake:scripted", **kw: Any) -> Draft:
    draft = ai_draft(**kw)
    draft.prompt_versions, draft.model = dict(prompts), model
    return draft


def ab_question(desk: Desk) -> tuple[Question, list[Version]]:
    """Drafts of one question: v1 and v2 the same setup, v3 other prompts, v4 another model with
    an instruction, v5 an edit, v6 another model cut short by an error."""
    wf, doc = desk.workflow, desk.doctor
    q = wf.add_question(doc, "Why do my shins ache when I run?")
    wf.save_draft(doc, q.id, drafted_with(PROMPTS, reply="First draft [1]."))
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, reply="Same setup again [1]."), kind="regenerate"
    )
    wf.save_draft(
        doc, q.id, drafted_with(OTHER_PROMPTS, reply="Older prompt [1]."), kind="regenerate"
    )
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, "big-model", reply="Shorter [1]."), kind="regenerate",
        instruction="shorter",
    )  # fmt: skip
    wf.save_edit(doc, q.id, base=4, title="T", reply="Edited.", explainer="E")
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, "cut-model", reply="Half", error="timeout"),
        kind="regenerate",
    )  # fmt: skip
    return q, wf.versions(q.id)


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


# --- the dashboard --------------------------------------------------------------------------------

TEN = "one two three four five six seven eight nine ten"


def set_time(desk: Desk, question: Question, when: str) -> None:
    at = datetime.fromisoformat(when)
    with desk.workflow.sessions.begin() as session:
        session.execute(
            update(ApprovalRow).where(ApprovalRow.question_id == question.id).values(approved_at=at)
        )
        session.execute(
            update(QuestionRow).where(QuestionRow.id == question.id).values(created_at=at)
        )


@pytest.fixture
def measured(desk: Desk) -> tuple[Desk, list[Question]]:
    """Three approved replies over two weeks and a drafted question with two setups."""
    q1 = approved(desk, "My knee hurts after running.", reply=TEN)  # unchanged
    q2 = approved(
        desk, "Sudden crushing chest pain going to my left arm", TEN.replace("ten", "10"),
        specialty="Cardiology", reply=TEN,
    )  # 1 word of 10 changed: still accepted  # fmt: skip
    q3 = approved(
        desk, "My ankle is swollen after a fall.", "one two three four five 6 7 8 9 10",
        draft=drafted_with(OTHER_PROMPTS, "big-model", reply=TEN),
    )  # fmt: skip
    set_time(desk, q1, "2026-11-02T10:00")  # Monday of ISO week 45
    set_time(desk, q2, "2026-11-08T23:00")  # Sunday, the same week
    set_time(desk, q3, "2026-11-10T09:00")  # the next week
    q4, _ = ab_question(desk)
    return desk, [q1, q2, q3, q4]


def test_approval_records_measure_each_approved_reply(
    measured: tuple[Desk, list[Question]],
) -> None:
    desk, (q1, q2, q3, _) = measured
    records = dashboard.approval_records(desk.workflow)
    measures = [
        (r.question_id, r.edit_distance, r.normalised_edit_distance, r.accepted) for r in records
    ]
    assert measures == [
        (q1.id, 0, 0.0, True),
        (q2.id, 1, 0.1, True),
        (q3.id, 5, 0.5, False),
    ]  # fmt: skip
    assert [(r.specialty, r.model, r.prompt, r.red_flags) for r in records] == [
        ("Orthopedics", "fake:scripted", "title v1 · reply v2 · explainer v2", 0),
        ("Cardiology", "fake:scripted", "title v1 · reply v2 · explainer v2", 1),
        ("Orthopedics", "big-model", "title v1 · reply v1 · explainer v1", 0),
    ]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("week", [("2026-11-02", 2, 2, 1.0, 0.5), ("2026-11-09", 1, 0, 0.0, 5)]),
        ("day", [("2026-11-02", 1, 1, 1.0, 0), ("2026-11-08", 1, 1, 1.0, 1),
                 ("2026-11-10", 1, 0, 0.0, 5)]),
        ("prompt", [("title v1 · reply v1 · explainer v1", 1, 0, 0.0, 5),
                    ("title v1 · reply v2 · explainer v2", 2, 2, 1.0, 0.5)]),
        ("model", [("big-model", 1, 0, 0.0, 5), ("fake:scripted", 2, 2, 1.0, 0.5)]),
        ("specialty", [("Cardiology", 1, 1, 1.0, 1), ("Orthopedics", 2, 1, 0.5, 2.5)]),
    ],
)  # fmt: skip
def test_acceptance_and_median_edit_distance_by_group(
    measured: tuple[Desk, list[Question]], by: dashboard.GroupBy, expected: list[tuple[Any, ...]]
) -> None:
    desk, _ = measured
    groups = dashboard.group(dashboard.approval_records(desk.workflow), by)
    assert [
        (g.key, g.approvals, g.accepted, g.acceptance_rate, g.median_edit_distance) for g in groups
    ] == expected


def test_rubric_scores_by_prompt_and_ab_wins(measured: tuple[Desk, list[Question]]) -> None:
    desk, (q1, _, q3, _) = measured
    for q, empathy in ((q1, 5), (q3, 2)):
        pair = review.final_pair(desk.workflow, desk.workflow.question(q.id))
        assert pair is not None
        review.rate_final(desk.workflow, desk.reviewer, pair, {**FULL, "empathy": empathy})
    [ab] = review.ab_pairs(desk.workflow)
    shown = review.blind(ab, 3)
    new_prompts_side = "A" if shown.a.number == 1 else "B"  # version 1 has the v2 prompts
    old = {**FULL, "empathy": 1}
    scores = (FULL, old) if new_prompts_side == "A" else (old, FULL)
    review.rate_blind(desk.workflow, desk.reviewer, shown, *scores, new_prompts_side)

    data = dashboard.load(desk.workflow)
    by_prompt = {
        s.prompt: (s.mean, s.normalised, s.ratings)
        for s in dashboard.rubric_by_prompt(data.ratings, data.setups)
        if s.axis == "empathy"
    }
    assert by_prompt == {
        "title v1 · reply v1 · explainer v1": (1.5, 0.125, 2),
        "title v1 · reply v2 · explainer v2": (4.5, 0.875, 2),
    }
    assert dashboard.ab_preferences(data.ratings, data.setups) == [
        dashboard.Preference("fake:scripted · title v1 · reply v1 · explainer v1", 1, 0, 0, 1),
        dashboard.Preference("fake:scripted · title v1 · reply v2 · explainer v2", 1, 1, 0, 0),
    ]
    assert data.acceptance_rate == pytest.approx(2 / 3)
    assert data.median_edit_distance == 1


def test_red_flag_counts(measured: tuple[Desk, list[Question]]) -> None:
    desk, _ = measured
    questions = desk.workflow.questions()
    assert dashboard.red_flag_counts(questions) == {"Chest pain": 1}
    weeks = dashboard.flagged_by_period(questions, "week")
    assert weeks[:2] == [("2026-11-02", 2, 1), ("2026-11-09", 1, 0)]
    assert sum(total for _, total, _ in weeks) == 4


def test_csv_export(measured: tuple[Desk, list[Question]]) -> None:
    desk, (q1, *_) = measured
    pair = review.final_pair(desk.workflow, desk.workflow.question(q1.id))
    assert pair is not None
    review.rate_final(desk.workflow, desk.reviewer, pair, FULL, 'Says "rest", fine')
    data = dashboard.load(desk.workflow)

    rows = list(
        csv.DictReader(io.StringIO(dashboard.to_csv(dashboard.ApprovalRecord, data.approvals)))
    )
    assert len(rows) == 3
    assert rows[0] == {
        "question_id": str(q1.id), "specialty": "Orthopedics", "approved_at": "2026-11-02T10:00:00",
        "approved_by": "doctor", "model": "fake:scripted",
        "prompt": "title v1 · reply v2 · explainer v2", "ai_words": "10", "final_words": "10",
        "edit_distance": "0", "normalised_edit_distance": "0.0", "accepted": "True",
        "red_flags": "0",
    }  # fmt: skip
    ratings = dashboard.rating_rows(data.ratings, data.setups)
    [row] = csv.DictReader(io.StringIO(dashboard.to_csv(dashboard.RatingExport, ratings)))
    assert (row["reviewer"], row["mode"], row["question_id"], row["comment"]) == (
        "reviewer", "final", str(q1.id), 'Says "rest", fine',
    )  # fmt: skip
    assert {k: int(row[k]) for k in FULL} == FULL
    assert dashboard.to_csv(dashboard.RatingExport, []).startswith("rating_id,created_at,")
    with pytest.raises(TypeError):
        dashboard.to_csv(dict, [])


def test_an_empty_database_has_an_empty_dashboard(desk: Desk) -> None:
    data = dashboard.load(desk.workflow)
    assert data.empty
    assert (data.acceptance_rate, data.median_edit_distance) == (None, None)
    assert dashboard.group([], "week") == []


T = TypeVar("T")


def statements(desk: Desk, run: Callable[[], T]) -> tuple[T, list[str]]:
    """What `run` returns, and the SQL statements it sent to the desk's database."""
    engine = desk.workflow.sessions.kw["bind"]
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        result = run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return result, sent


def test_the_dashboard_reads_the_database_a_fixed_number_of_times(desk: Desk) -> None:
    """Not one query per question: 10 questions take the statements 2 take."""
    sent, approvals = [], []
    for total in (2, 10):
        for i in range(len(desk.workflow.questions()), total):
            approved(
                desk, f"Question {i}: my knee hurts after running.",
                "Hello, rest the knee [1]." if i % 2 else None, approve=i % 5 != 4,
            )  # fmt: skip
        pair = review.final_pairs(desk.workflow)[0]
        review.rate_final(desk.workflow, desk.reviewer, pair, FULL)
        data, statements_sent = statements(desk, lambda: dashboard.load(desk.workflow))
        sent.append(statements_sent)
        approvals.append(len(data.approvals))
    assert approvals == [2, 8]
    assert len(sent[0]) == len(sent[1]), "\n".join(sent[1])


def test_ab_pairs_read_the_database_a_fixed_number_of_times(desk: Desk) -> None:
    """The Compare page lists A/B pairs: 10 questions take the statements 2 take."""
    wf, doc = desk.workflow, desk.doctor
    sent, pairs = [], []
    for total in (2, 10):
        for i in range(len(wf.questions()), total):
            q = wf.add_question(doc, f"Question {i}: why do my shins ache when I run?")
            wf.save_draft(doc, q.id, drafted_with(PROMPTS, reply="First draft [1]."))
            wf.save_draft(
                doc, q.id, drafted_with(OTHER_PROMPTS, reply="Older prompt [1]."), kind="regenerate"
            )
        found, statements_sent = statements(desk, lambda: review.ab_pairs(wf))
        sent.append(statements_sent)
        pairs.append([(p.question.id, p.first.number, p.second.number) for p in found])
    assert pairs[1] == [(q.id, 1, 2) for q in sorted(wf.questions(), key=lambda q: q.id)]
    assert len(sent[0]) == len(sent[1]), "\n".join(sent[1])


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
