"""The reviewers' dashboard as data: acceptance, edit distance, rubric by prompt, A/B wins, red
flags, CSV, and a fixed number of database reads however many questions."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, update

from drafter.review import dashboard
from drafter.review import pairs as review
from drafter.workflow.doctor import Question
from drafter.workflow.tables import ApprovalRow, QuestionRow
from tests.support.review_kit import FULL, OTHER_PROMPTS, ab_question, approved, drafted_with
from tests.support.workflow_kit import PROMPTS, Desk

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
