"""The doctor's verdicts on triage findings: stored, audited, the newest counts, the finding is
never changed or deleted, clear errors, and the reviewed questions as a labelled set."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.workflow.doctor import Question, Workflow
from drafter.workflow.finding_reviews import MAX_REASON_CHARS, current_verdicts
from tests.support.workflow_kit import Desk, actions, fixed_triage

CHEST = "Since this morning I have crushing chest pain and I cannot breathe properly."


@pytest.fixture
def flagged(desk: Desk) -> tuple[Workflow, Question]:
    workflow = replace(desk.workflow, triage=fixed_triage)
    question = workflow.add_question(desk.doctor, CHEST, age_group="50-59", sex="male")
    assert [f["category"] for f in question.red_flags] == ["chest_pain", "breathing"]
    return workflow, question


def test_a_verdict_is_stored_and_audited_in_one_go(
    desk: Desk, flagged: tuple[Workflow, Question]
) -> None:
    workflow, q = flagged
    review = workflow.review_finding(desk.doctor, q.id, "breathing", "dismissed", "  talks fine  ")
    assert (review.category, review.verdict, review.reason) == (
        "breathing",
        "dismissed",
        "talks fine",
    )
    assert review.reviewed_by == "doctor"
    assert workflow.finding_reviews(q.id) == [review]
    event = workflow.audit(question_id=q.id)[-1]
    assert (event.actor, event.action) == ("doctor", "finding.dismissed")
    assert event.detail == {"category": "breathing", "reason": "talks fine"}
    workflow.review_finding(desk.doctor, q.id, "chest_pain", "confirmed")
    assert actions(workflow, question_id=q.id)[-2:] == ["finding.dismissed", "finding.confirmed"]
    assert desk.reopen().finding_reviews(q.id)[-1].reason == ""  # a confirmation needs no reason


def test_every_review_is_kept_the_newest_counts_and_the_finding_stays(
    desk: Desk, flagged: tuple[Workflow, Question]
) -> None:
    workflow, q = flagged
    workflow.review_finding(desk.doctor, q.id, "chest_pain", "dismissed", "musculoskeletal")
    workflow.review_finding(desk.doctor, q.id, "chest_pain", "confirmed", "on second reading")
    workflow.review_finding(desk.doctor, q.id, "breathing", "dismissed", "asthma, known")
    reviews = workflow.finding_reviews(q.id)
    assert [(r.category, r.verdict) for r in reviews] == [
        ("chest_pain", "dismissed"),
        ("chest_pain", "confirmed"),
        ("breathing", "dismissed"),
    ]
    current = current_verdicts(reversed(reviews))  # order given does not matter: ids do
    assert {c: r.verdict for c, r in current.items()} == {
        "chest_pain": "confirmed",
        "breathing": "dismissed",
    }
    assert workflow.question(q.id).red_flags == q.red_flags  # dismissed or not, never changed


@pytest.mark.parametrize("statement", ["UPDATE finding_reviews SET verdict = 'confirmed'",
                                       "DELETE FROM finding_reviews"])  # fmt: skip
def test_reviews_are_append_only(
    desk: Desk, flagged: tuple[Workflow, Question], statement: str
) -> None:
    workflow, q = flagged
    workflow.review_finding(desk.doctor, q.id, "breathing", "dismissed", "no")
    engine = workflow.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert [r.verdict for r in workflow.finding_reviews(q.id)] == ["dismissed"]


@pytest.mark.parametrize(
    ("question_id", "category", "verdict", "reason", "message"),
    [
        (999, "chest_pain", "confirmed", "", "there is no question 999"),
        (None, "stroke", "confirmed", "", "has no finding 'stroke'; its findings: chest_pain, br"),
        (None, "chest_pain", "maybe", "", "verdict 'maybe' is not one of confirmed, dismissed"),
        (None, "chest_pain", "dismissed", "   ", "a dismissal needs a reason"),
        (None, "chest_pain", "dismissed", "x" * (MAX_REASON_CHARS + 1), "at most 500"),
    ],
)
def test_bad_reviews_are_clear_errors_and_store_nothing(
    desk: Desk,
    flagged: tuple[Workflow, Question],
    question_id: int | None,
    category: str,
    verdict: str,
    reason: str,
    message: str,
) -> None:
    workflow, q = flagged
    before = workflow.audit()
    with pytest.raises(InputError, match=message):
        workflow.review_finding(desk.doctor, question_id or q.id, category, verdict, reason)
    assert workflow.finding_reviews(q.id) == []
    assert workflow.audit() == before


def test_a_question_without_findings_says_so(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, "My knee clicks when I climb the stairs.")
    with pytest.raises(InputError, match="it has no findings"):
        desk.workflow.review_finding(desk.doctor, q.id, "chest_pain", "confirmed")


@pytest.mark.parametrize("role", ["editor", "reviewer", "admin"])
def test_only_doctors_review_findings(
    desk: Desk, flagged: tuple[Workflow, Question], role: str
) -> None:
    workflow, q = flagged
    with pytest.raises(PermissionDeniedError, match="may not review finding"):
        workflow.review_finding(desk.users[role], q.id, "chest_pain", "confirmed")
    assert workflow.finding_reviews(q.id) == []


def test_reviewed_questions_export_as_labelled_lines(
    desk: Desk, flagged: tuple[Workflow, Question]
) -> None:
    workflow, q = flagged
    untouched = workflow.add_question(desk.doctor, "Again crushing chest pain, worse.")
    negative = workflow.add_question(desk.doctor, "I cannot breathe through my nose since a cold.")
    half = workflow.add_question(desk.doctor, "crushing chest pain and I cannot breathe")
    workflow.review_finding(desk.doctor, q.id, "chest_pain", "dismissed", "a pulled muscle")
    workflow.review_finding(desk.doctor, q.id, "chest_pain", "confirmed", "")
    workflow.review_finding(desk.doctor, q.id, "breathing", "dismissed", "speaks in sentences")
    workflow.review_finding(desk.doctor, negative.id, "breathing", "dismissed", "a blocked nose")
    workflow.review_finding(desk.doctor, half.id, "breathing", "dismissed", "anxious")

    exported = workflow.reviewed_findings()
    assert exported.rows == [
        {
            "id": f"q{q.id}",
            "question": CHEST,
            "red_flags": ["chest_pain"],
            "kind": "positive",
            "evidence": ["crushing chest pain"],
            "dismissed": [
                {"category": "breathing", "reason": "speaks in sentences", "by": "doctor"}
            ],
            "source": "doctor_review",
            "age_group": "50-59",
            "sex": "male",
        },
        {
            "id": f"q{negative.id}",
            "question": negative.text,
            "red_flags": [],
            "kind": "hard_negative",
            "evidence": [],
            "dismissed": [{"category": "breathing", "reason": "a blocked nose", "by": "doctor"}],
            "source": "doctor_review",
            "near": "breathing",
            "why": "a blocked nose",
        },
    ]
    assert f"q{untouched.id}" not in {r["id"] for r in exported.rows}  # never reviewed
    assert exported.incomplete == [half.id]  # its chest pain is unreviewed: not a negative
