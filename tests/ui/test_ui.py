"""The app's pages through streamlit.testing's AppTest: sign-in, inbox, question (draft, edit,
approve, export), search. The model is a stub OpenAI-compatible server on loopback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import AppEnv, free_port
from tests.support.apptest import app_as, login


def test_sign_in_with_a_wrong_password_shows_an_error_then_the_right_one_works(
    app_env: AppEnv,
) -> None:
    at = app_as()
    at.run()
    assert not at.exception
    assert any("Demo logins" in i.value for i in at.info)
    at.text_input[0].input("doctor")
    at.text_input[1].input("nope")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["wrong username or password"]
    at.text_input[1].input("doctor-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].role == "doctor"
    assert at.title[0].value == "Inbox"


def test_inbox_empty_state_then_a_new_question_shows_with_red_flags_first(
    app_env: AppEnv,
) -> None:
    at = app_as(login(app_env, "doctor"))
    at.run()
    assert not at.exception
    assert any("inbox is empty" in i.value for i in at.info)
    at.text_area(key="new_text").input("My knee hurts after running for a week.")
    at.selectbox(key="new_age").select("30-39")
    at.button[0].click().run()  # the form's submit button
    assert any("Question #1 added" in s.value for s in at.success)
    app_env.workflow().add_question(
        login(app_env, "doctor"), "Sudden crushing chest pain going to my left arm"
    )
    at.run()
    rows = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert rows[0].startswith("**#2** · :red[**:material/emergency: Chest pain**]")
    assert rows[1].startswith("**#1**")


def test_empty_question_gets_a_clear_message(app_env: AppEnv) -> None:
    at = app_as(login(app_env, "doctor"))
    at.run()
    at.text_area(key="new_text").input("   ")
    at.button[0].click().run()
    assert not at.exception
    assert any("the question is empty" in e.value for e in at.error)


def test_reviewer_has_no_new_question_form(app_env: AppEnv) -> None:
    at = app_as(login(app_env, "reviewer"))
    at.run()
    assert not at.exception
    assert not at.expander


def open_question(env: AppEnv, role: str, question_id: int) -> AppTest:
    at = app_as(login(env, role))
    at.query_params["q"] = str(question_id)
    at.switch_page("views/question.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_draft_streams_saves_a_version_and_edits_are_saved(app_env: AppEnv) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, "My knee hurts after running. What should I do?", age_group="30-39")
    at = open_question(app_env, "doctor", q.id)
    assert any("No draft yet" in i.value for i in at.info)
    assert [s.value for s in at.subheader][:1] == ["Similar Q&A"]
    at.button(key="draft").click().run()
    assert not at.exception, at.exception
    versions = wf.versions(q.id)
    assert [v.kind for v in versions] == ["ai"]
    assert versions[0].title == "Knee Pain After Running: Causes and Care"
    assert at.text_input(key=f"t-{q.id}").value == versions[0].title
    assert any("Draft saved as version 1 (complete)" in s.value for s in at.success)

    at.text_area(key=f"r-{q.id}").input("Hello, rest the knee for a week [1].")
    at.run()
    versions = wf.versions(q.id)
    assert [v.kind for v in versions] == ["ai", "edit"]
    assert versions[1].reply == "Hello, rest the knee for a week [1]."

    # a "refresh" (new session) shows the saved edit
    again = open_question(app_env, "doctor", q.id)
    assert again.text_area(key=f"r-{q.id}").value == "Hello, rest the knee for a week [1]."


def test_concurrent_edit_warns_and_keeps_both(app_env: AppEnv) -> None:
    doctor, editor = login(app_env, "doctor"), login(app_env, "editor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, "Is it safe to run with a sore knee?")
    at = open_question(app_env, "doctor", q.id)
    at.button(key="draft").click().run()
    wf.save_edit(editor, q.id, base=1, title="Editor title", reply="r", explainer="e")
    at.text_area(key=f"r-{q.id}").input("Doctor's own reply text.")
    at.run()
    assert any("changed by Demo Editor since you opened it" in w.value for w in at.warning)
    assert [v.reply for v in wf.versions(q.id)][1:] == ["r", "Doctor's own reply text."]


def test_approve_reply_exports_the_page_and_search_finds_it(app_env: AppEnv) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, "Why does my left heel hurt in the morning when I get up?")
    at = open_question(app_env, "doctor", q.id)
    at.button(key="draft").click().run()
    assert "approve_explainer" not in {b.key for b in at.button}  # a doctor's page
    at.button(key="approve_reply").click().run()  # the model's reply, unedited: confirm first
    assert not at.exception, at.exception
    assert any("the short reply is the model's text, unedited" in e.value for e in at.error)
    assert wf.approvals(q.id) == []
    at.checkbox(key=f"anyway-{q.id}-1-reply").check().run()
    at.button(key="approve_reply").click().run()
    assert not at.exception, at.exception
    event = next(e for e in wf.audit(question_id=q.id) if e.action == "approve.reply")
    assert "unedited" in event.detail["cautions"][0]
    assert any("Reply approved" in s.value for s in at.success)
    assert any("Added to the knowledge base as drafter-q" in s.value for s in at.success)
    assert wf.question(q.id).status == "approved"
    assert any(s.value.startswith("Approved by Dr. Demo Doctor") for s in at.success)

    search = app_as(doctor)
    search.switch_page("views/search.py")
    search.run()
    search.text_area[0].input("heel pain in the morning when getting up")
    search.button[0].click().run()
    assert not search.exception
    titles = [m.value for m in search.markdown if m.value.startswith("**")]
    # approved without an edit: found, ranked below the doctor-written answers
    assert "**Knee Pain After Running: Causes and Care**" in titles


def test_roles_decide_the_buttons(app_env: AppEnv) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, "My knee hurts after running.")
    open_question(app_env, "doctor", q.id).button(key="draft").click().run()
    editor = open_question(app_env, "editor", q.id)
    keys = {b.key for b in editor.button}
    assert "approve_explainer" in keys
    assert "approve_reply" not in keys
    reviewer = open_question(app_env, "reviewer", q.id)
    keys = {b.key for b in reviewer.button}
    assert not keys & {"approve_reply", "approve_explainer", "save"}
    assert reviewer.text_area(key=f"r-{q.id}").disabled


def test_model_down_gives_a_clear_message_and_saves_what_there_is(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, "My knee hurts after running.")
    monkeypatch.setenv("DRAFTER_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("DRAFTER_REQUEST_TIMEOUT", "2")
    at = open_question(app_env, "doctor", q.id)
    at.button(key="draft").click().run()
    assert not at.exception, at.exception
    assert any("The model stopped" in e.value for e in at.error)
    versions = wf.versions(q.id)
    assert len(versions) == 1
    assert versions[0].details["error"]


@pytest.mark.parametrize(
    "page",
    [
        "views/inbox.py",
        "views/question.py",
        "views/search.py",
        "views/explainers.py",
        "views/compare.py",
        "views/dashboard.py",
    ],
)
def test_every_page_renders_for_every_role(app_env: AppEnv, page: str) -> None:
    for role in ("doctor", "editor", "reviewer", "admin"):
        at = app_as(login(app_env, role))
        at.switch_page(page)
        at.run()
        assert not at.exception, (role, page, at.exception)
