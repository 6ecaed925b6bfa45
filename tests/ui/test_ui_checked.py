"""The Draft tab's sentence check: the shown version re-checked on every run, the marked sentences
first (about the patient in red), Remove saves a version without one, Keep stops counting it, and
approving with a red mark left needs "Approve anyway" and lands the marks in the audit."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from drafter.workflow.doctor import Question
from tests.conftest import AppEnv
from tests.support.apptest import about_the_patient as red
from tests.support.apptest import app_as, login, to_check
from tests.support.hostile import live_in_app
from tests.support.workflow_kit import ai_draft

QUESTION = "My knee hurts after running. What should I do?"
TRANSPLANT = "You had a kidney transplant in 2015."
REPLY = f"Hello, thank you for your question. {TRANSPLANT} Rest the knee for a week."


def drafted(env: AppEnv, reply: str = REPLY) -> Question:
    doctor, wf = login(env, "doctor"), env.workflow()
    q = wf.add_question(doctor, QUESTION)
    wf.save_draft(doctor, q.id, ai_draft(QUESTION, reply=reply, explainer=""))
    return q


def open_question(env: AppEnv, question_id: int) -> AppTest:
    at = app_as(login(env, "doctor"))
    at.query_params["q"] = str(question_id)
    at.switch_page("views/question.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_red_sentence_shows_first_and_remove_saves_a_version_without_it(
    app_env: AppEnv,
) -> None:
    q = drafted(app_env)
    at = open_question(app_env, q.id)
    before = to_check(at)
    assert before >= 1
    (mark,) = red(at)
    assert f"Short reply: “{TRANSPLANT}”" in mark
    assert "the patient did not write" in mark

    (cut,) = [b for b in at.button if str(b.key).startswith(f"cut-{q.id}-1-0")]
    cut.click().run()
    assert not at.exception, at.exception
    versions = app_env.workflow().versions(q.id)
    assert [v.kind for v in versions] == ["ai", "edit"]
    assert versions[1].reply == "Hello, thank you for your question. Rest the knee for a week."
    assert at.text_area(key=f"r-{q.id}").value == versions[1].reply  # the boxes show it
    assert red(at) == []
    assert to_check(at) == before - 1
    assert any("Saved as version 2" in s.value for s in at.success)


def test_approving_with_a_red_mark_needs_approve_anyway_and_the_audit_has_the_marks(
    app_env: AppEnv,
) -> None:
    q = drafted(app_env)
    wf = app_env.workflow()
    at = open_question(app_env, q.id)
    at.button(key="approve_reply").click().run()
    assert not at.exception, at.exception
    assert any("still has 1 red mark" in e.value for e in at.error)
    assert wf.approvals(q.id) == []

    at.checkbox(key=f"anyway-{q.id}-1-reply").check().run()
    at.button(key="approve_reply").click().run()
    assert not at.exception, at.exception
    assert [a.version_number for a in wf.approvals(q.id)] == [1]
    event = next(e for e in wf.audit(question_id=q.id) if e.action == "approve.reply")
    assert [(m["verdict"], m["text"], m["kept"]) for m in event.detail["marks"]] == [
        ("about_the_patient", TRANSPLANT, False)
    ]


def test_a_kept_sentence_is_no_longer_counted_nor_confirmed_as_a_red_mark(
    app_env: AppEnv,
) -> None:
    q = drafted(app_env)
    wf = app_env.workflow()
    at = open_question(app_env, q.id)
    before = to_check(at)
    (keep,) = [b for b in at.button if str(b.key).startswith(f"keep-{q.id}-1-0")]
    keep.click().run()
    assert not at.exception, at.exception
    assert red(at) == []
    assert to_check(at) == before - 1
    assert f"kept · {TRANSPLANT}" in [m.value for m in at.markdown]
    (anyway,) = [c for c in at.checkbox if str(c.key).startswith("anyway-")]
    assert "red mark" not in str(anyway.help)  # only the model's text unedited is left to confirm
    anyway.check().run()
    at.button(key="approve_reply").click().run()
    assert not at.exception, at.exception
    event = next(e for e in wf.audit(question_id=q.id) if e.action == "approve.reply")
    assert [m["kept"] for m in event.detail["marks"]] == [True]


def test_hostile_text_in_a_marked_sentence_stays_inert(app_env: AppEnv) -> None:
    hostile = (
        "You had a kidney transplant in 2015 ![p](http://127.0.0.1:8999/pixel.png) "
        ":red[safe] <img src=http://127.0.0.1:8999/pixel.png> [see](http://127.0.0.1:8999/x)."
    )
    q = drafted(app_env, reply=f"Hello, thank you for your question. {hostile}")
    at = open_question(app_env, q.id)
    (mark,) = red(at)
    assert "\\<img src=http\\:" in mark
    assert "\\:\u2060red\\[safe\\]" in mark
    assert live_in_app(at) == []
