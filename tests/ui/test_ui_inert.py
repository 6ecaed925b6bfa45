"""Untrusted text stays inert on every page: a hostile question (and a model that repeats its
markup) never renders an image, a live link, HTML or a colour directive anywhere in the app."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.jobs.explain import Selection, select_qas
from drafter.services import Services
from drafter.workflow.explainers import ExplainerQueue
from tests.conftest import AppEnv
from tests.support.apptest import login
from tests.support.apptest import page_as as page
from tests.support.fakes import page_responder
from tests.support.hostile import hostile_question, live_in_app, shown_markdown
from tests.support.workflow_kit import ai_draft

HOSTILE = hostile_question(port=8999)
MARKUP = "![p](http://127.0.0.1:8999/pixel.png) [see](http://127.0.0.1:8999/phish) :red[safe]"


def hostile_model(body: dict[str, Any]) -> str:
    """A model that obeys the injection: the stub's text with the attacker's markup added."""
    return f"{page_responder(body)} {MARKUP}\n\n<img src=http://127.0.0.1:8999/pixel.png>"


def assert_inert(at: AppTest) -> None:
    assert live_in_app(at) == []
    assert any("127.0.0.1" in text for text in shown_markdown(at))  # the text is shown, inert


def test_every_page_shows_a_hostile_question_and_draft_inert(app_env: AppEnv) -> None:
    wf, doctor = app_env.workflow(), login(app_env, "doctor")
    app_env.stub.responder = hostile_model
    q = wf.add_question(doctor, HOSTILE, asker=":red[Dr. Admin] ![a](http://127.0.0.1:8999/a)")
    assert_inert(page(app_env, "doctor", "views/inbox.py"))

    at = page(app_env, "doctor", "views/question.py", q=str(q.id))
    assert_inert(at)  # before drafting: the question and a fresh search
    at.button(key="draft").click().run()
    assert not at.exception, at.exception
    assert live_in_app(at) == []  # the live stream, the edit boxes' page, sources and checks
    assert any("no source contains" in w.value for w in at.warning)
    at.checkbox(key=f"anyway-{q.id}-1-reply").check().run()  # the model's text, unedited
    at.button(key="approve_reply").click().run()
    assert not at.exception, at.exception
    assert_inert(at)  # preview of the approved page and the history of every version
    assert any(m.value.startswith("> **Approved by") for m in at.markdown)  # Drafter's layout

    # the approved hostile Q&A is now in the knowledge base: another question's panel shows it
    other = wf.add_question(doctor, "My knee hurts after running, see my photos")
    assert_inert(page(app_env, "doctor", "views/question.py", q=str(other.id)))
    search = page(app_env, "doctor", "views/search.py")
    search.text_area[0].input("knee hurts after running photos red flag none")
    search.button[0].click().run()
    assert not search.exception
    assert_inert(search)

    second = ai_draft(HOSTILE, reply=f"Hello {MARKUP}", explainer=f"## Causes\n{MARKUP}")
    second.model = "model-beta"
    wf.save_draft(doctor, q.id, second, kind="regenerate")
    for mode in ("AI draft vs approved final", "Blind A/B"):
        compare = page(app_env, "reviewer", "views/compare.py")
        compare.radio(key="compare_mode").set_value(mode).run()
        assert not compare.exception, compare.exception
        assert_inert(compare)
    assert live_in_app(page(app_env, "reviewer", "views/dashboard.py")) == []


def test_the_more_info_queue_shows_a_hostile_qa_and_explainer_inert(app_env: AppEnv) -> None:
    queue = ExplainerQueue(app_env.workflow().sessions)
    editor = login(app_env, "editor")
    [qa] = select_qas(Services(app_env.settings).store(), Selection(specialty="Cardiology"))[:1]
    qa = qa.model_copy(
        update={"question": HOSTILE, "answer": f"Rest. {MARKUP}", "doctor": ":red[Dr]"}
    )
    draft = Draft(
        PatientQuestion(qa.question),
        explainer=f"{MARKUP}\n\n## Causes\n- {MARKUP}\n\n## When to see a doctor\n<b>now</b>",
        model="fake:explainer",
    )
    item = queue.add_generated(editor, qa, draft)
    assert item is not None
    listing = page(app_env, "editor", "views/explainers.py")
    listing.button(key=f"xq_open-{item.id}").click().run()
    listing.button(key="xq_back").click().run()
    listing.checkbox(key=f"xq_read-{item.id}-1").check().run()  # nothing else changes with it
    assert_inert(listing)
    for role in ("editor", "reviewer"):
        opened = page(app_env, role, "views/explainers.py", item=str(item.id))
        assert_inert(opened)
        assert any("\n\n#### Causes\n\n" in m.value for m in opened.markdown)  # a real heading
