"""The inbox: questions stored normalised with their red flags, red flags first, clear errors, and
importing a file with its broken lines reported by number. Runs on private SQLite files."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from drafter.core.errors import InputError
from drafter.core.errors import PermissionDeniedError as Denied
from drafter.workflow.doctor import import_questions
from knowledge import SAMPLE_INBOX, sample_files
from tests.conftest import WriteJsonl
from tests.support.workflow_kit import Desk, actions, ai_draft

REFS = "title=title@v1#aaaa, reply=short_reply@v2#bbbb, explainer=explainer@v2#cc"


# --- the inbox ----------------------------------------------------------------------------------


def test_a_question_is_stored_normalised_with_its_red_flags_and_audited(desk: Desk) -> None:
    q = desk.workflow.add_question(
        desk.doctor,
        "  Crushing chest pain going down my left arm and I am sweating.  ",
        age_group="74",
        sex="M",
        specialty="cardiology",
        asker="  Anonymous ",
    )
    assert (q.text, q.age_group, q.sex, q.specialty, q.asker) == (
        "Crushing chest pain going down my left arm and I am sweating.",
        "70-79",
        "male",
        "Cardiology",
        "Anonymous",
    )
    assert (q.status, q.origin, q.created_by) == ("new", "typed", "doctor")
    assert [f["rule_id"] for f in q.red_flags] == ["chest_pain"]
    assert q.asker_line == "Anonymous, 70-79 year old male"
    assert desk.workflow.question(q.id) == q
    event = desk.workflow.audit(question_id=q.id)[-1]
    assert (event.actor, event.action, event.detail) == (
        "doctor",
        "question.add",
        {"origin": "typed", "red_flags": ["chest_pain"]},
    )


def test_the_inbox_puts_red_flags_first_then_the_longest_waiting(desk: Desk) -> None:
    add = desk.workflow.add_question
    calm_old = add(desk.doctor, "My toenails are thick and yellow.", specialty="Dermatology")
    flagged_old = add(desk.editor, "I am 8 weeks pregnant and bleeding with clots.")
    calm_new = add(desk.doctor, "Heartburn wakes me at night.", asker="Maria")
    flagged_new = add(desk.doctor, "Sudden weakness in my left arm and my face is drooping.")
    inbox = desk.workflow.questions()
    assert [q.id for q in inbox] == [flagged_old.id, flagged_new.id, calm_old.id, calm_new.id]
    assert [q.id for q in desk.workflow.questions(flagged_only=True)] == [
        flagged_old.id,
        flagged_new.id,
    ]
    assert [q.id for q in desk.workflow.questions(specialty="DERMATOLOGY")] == [calm_old.id]
    assert [q.id for q in desk.workflow.questions(search="maria")] == [calm_new.id]
    assert [q.id for q in desk.workflow.questions(search="HEARTBURN")] == [calm_new.id]
    assert [q.id for q in desk.workflow.questions(limit=1)] == [flagged_old.id]
    desk.workflow.save_draft(desk.doctor, calm_old.id, ai_draft(calm_old.text))
    assert [q.id for q in desk.workflow.questions(status="drafted")] == [calm_old.id]
    assert desk.workflow.counts() == {"new": 3, "drafted": 1, "approved": 0}


def test_waiting_time_reads_like_the_inbox_shows_it(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, "Is my mole changing?")
    assert q.waiting(q.created_at + timedelta(seconds=20)) == "just now"
    assert q.waiting(q.created_at + timedelta(minutes=5)) == "5 min"
    assert q.waiting(q.created_at + timedelta(hours=3, minutes=59)) == "3 h"
    assert q.waiting(q.created_at + timedelta(days=2, hours=1)) == "2 d"
    assert q.asker_line == "age and sex not given"


@pytest.mark.parametrize(
    ("text", "fields", "message"),
    [
        ("", {}, "the question is empty"),
        ("   \n ", {}, "the question is empty"),
        ("x" * 6001, {}, "the limit is 6,000"),
        ("My knee hurts.", {"age_group": "old"}, "age group 'old' is not like '70-79'"),
        ("My knee hurts.", {"sex": "unknown"}, "sex 'unknown' is not one of"),
    ],
)
def test_bad_question_input_is_a_clear_error_and_stores_nothing(
    desk: Desk, text: str, fields: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        desk.workflow.add_question(desk.doctor, text, **fields)
    assert desk.workflow.questions() == []
    assert "question.add" not in actions(desk.workflow)


def test_a_question_with_a_known_external_id_is_not_added_twice(desk: Desk) -> None:
    first = desk.workflow.add_question(desk.doctor, "Ringing ears.", external_id="site-17")
    again = desk.workflow.add_question(desk.doctor, "Ringing ears.", external_id="site-17")
    assert again == first
    assert len(desk.workflow.questions()) == 1
    assert actions(desk.workflow).count("question.add") == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.workflow.question(99),
        lambda d: d.workflow.save_draft(d.doctor, 99, ai_draft()),
        lambda d: d.workflow.save_edit(d.editor, 99, base=1, title="t", reply="r", explainer="e"),
        lambda d: d.workflow.approve(d.doctor, 99, "reply"),
    ],
    ids=["question", "save_draft", "save_edit", "approve"],
)
def test_an_unknown_question_id_is_named_in_the_error(desk: Desk, call: Callable) -> None:
    with pytest.raises(InputError, match="there is no question 99"):
        call(desk)


# --- importing questions ------------------------------------------------------------------------


def test_import_reports_broken_lines_by_number_and_imports_the_rest(
    desk: Desk, tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    path = write_jsonl(
        tmp_path / "inbox.jsonl",
        [
            {"id": "a", "question": "My knee clicks on stairs.", "age_group": "40-49"},
            '{"id": "b", "question": "broken',
            {"id": "c", "question": "   "},
            {"id": "d", "question": "Red patches on my elbows.", "age_group": "ancient"},
            "[1, 2]",
            "",
            {"id": "e", "text": "I took too many pills.", "sex": "f", "asker": 42},
            {"question": "No id, still welcome.", "specialty": "dermatology"},
        ],
    )
    added, problems = import_questions(desk.workflow, desk.editor, path)
    assert added == 3
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert "not valid JSON" in problems[0]
    assert "the question is empty" in problems[1]
    assert "age group 'ancient'" in problems[2]
    assert "not a JSON object" in problems[3]
    inbox = desk.workflow.questions()
    assert [q.text for q in inbox] == [
        "I took too many pills.",
        "My knee clicks on stairs.",
        "No id, still welcome.",
    ]
    assert [f["rule_id"] for f in inbox[0].red_flags] == ["overdose"]
    assert (inbox[0].sex, inbox[0].asker) == ("female", "42")
    assert {q.origin for q in inbox} == {"import"}
    assert inbox[2].specialty == "Dermatology"
    # importing again adds nothing new (ids are known) and says so
    assert import_questions(desk.workflow, desk.editor, path)[0] == 1  # the row without an id
    assert len(desk.workflow.questions()) == 4


def test_import_of_a_missing_file_is_a_clear_error(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_questions(desk.workflow, desk.doctor, tmp_path / "nope.jsonl")


def test_import_needs_the_right_to_add_questions(desk: Desk) -> None:
    added, problems = 0, list[str]()
    with pytest.raises(Denied):
        added, problems = import_questions(desk.workflow, desk.reviewer, SAMPLE_INBOX)
    assert (added, problems, desk.workflow.questions()) == (0, [], [])


def test_the_shipped_inbox_imports_cleanly_with_two_red_flags_first(desk: Desk) -> None:
    added, problems = import_questions(desk.workflow, desk.doctor, SAMPLE_INBOX)
    assert (added, problems) == (10, [])
    inbox = desk.workflow.questions()
    assert sum(bool(q.red_flags) for q in inbox) == 2
    assert all(q.red_flags for q in inbox[:2])
    specialties = set()
    for path in sample_files():
        specialties |= {json.loads(line).get("specialty") for line in path.open()}
    assert {q.specialty for q in inbox} <= specialties
    assert len({q.specialty for q in inbox}) >= 8
    assert all(q.age_group and q.sex and q.asker for q in inbox)
    rows = [json.loads(line) for line in SAMPLE_INBOX.open()]
    assert [r["id"] for r in rows] == [f"inbox-{n:02d}" for n in range(1, 11)]
