"""The More Info queue's sentence check: a queued explainer is checked against the sources it was
generated from (the Q&A it explains is what the patient wrote), a fact about the patient taken
from another Q&A shows red, Remove saves a version without it, and "I have read this" can only be
ticked for a version whose page this session opened."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.drafting.sources import Source
from drafter.jobs.explain import Selection, select_qas
from drafter.services import Services
from drafter.workflow.explainers import ExplainerItem, ExplainerQueue
from tests.conftest import AppEnv
from tests.support.apptest import about_the_patient as red
from tests.support.apptest import login, page_as, to_check

PAGE = "views/explainers.py"
TRANSPLANT = "You had a kidney transplant in 2015."
REST = "Rest and gentle walks usually help while the heart settles."
VOICE = "The patient should keep a diary of the palpitations."


def seed(env: AppEnv) -> ExplainerItem:
    """A Cardiology Q&A queued with an explainer that copies a fact about another Q&A's patient
    (source 2) beside a sentence the Q&A's own answer backs (source 1)."""
    own, other = select_qas(Services(env.settings).store(), Selection(specialty="Cardiology"))[:2]
    backed = own.answer.split(". ")[0].rstrip(".") + "."
    sources = [
        Source(1, own.id, "qa", own.title, backed, own.specialty, own.answer),
        Source(2, other.id, "qa", other.title, TRANSPLANT, other.specialty, TRANSPLANT),
    ]
    draft = Draft(
        PatientQuestion.of(own),
        explainer=f"## Causes\n\n{backed} [1]\n\n## Management\n\n{TRANSPLANT} {REST} {VOICE}",
        sources=sources,
        model="fake:explainer",
        prompt_versions={"explainer": "explainer@v2#abcd"},
    )
    item = ExplainerQueue(env.workflow().sessions).add_generated(login(env, "editor"), own, draft)
    assert item is not None
    return item


def queue_page(env: AppEnv, role: str, item: int | None = None) -> AppTest:
    return page_as(env, role, PAGE, **({} if item is None else {"item": str(item)}))


def test_the_opened_item_marks_a_fact_about_another_patient_red(app_env: AppEnv) -> None:
    item = seed(app_env)
    listing = queue_page(app_env, "editor")
    assert any("2 red marks**" in m.value for m in listing.markdown)
    at = queue_page(app_env, "editor", item.id)
    (mark,) = red(at)
    assert f"More Info: “{TRANSPLANT}”" in mark
    assert "the patient did not write" in mark
    marks = [e.value.split(" · ")[0] for e in at.error]
    assert marks == ["**about the patient**", "**wrong voice**"]  # red, most dangerous first
    assert VOICE in at.error[1].value
    assert to_check(at) >= 1
    assert "xq_cut-" + f"{item.id}-1-0" in {b.key for b in at.button}
    backed = [c.value for c in at.caption if c.value.startswith("\\[1\\]")]
    assert backed, "the sentence from the Q&A's own answer is backed by source 1"
    reader = queue_page(app_env, "reviewer", item.id)
    assert len(red(reader)) == 1  # read only: the marks without Remove or Keep
    assert not {b.key for b in reader.button if str(b.key).startswith(("xq_cut-", "xq_keep-"))}


def test_remove_saves_a_version_without_the_red_sentence(app_env: AppEnv) -> None:
    item = seed(app_env)
    at = queue_page(app_env, "editor", item.id)
    before = to_check(at)
    at.button(key=f"xq_cut-{item.id}-1-0").click().run()
    assert not at.exception, at.exception
    queue = ExplainerQueue(app_env.workflow().sessions)
    versions = queue.versions(item.id)
    assert [v.kind for v in versions] == ["ai", "edit"]
    assert TRANSPLANT not in versions[1].text
    assert f"## Management\n\n{REST}" in versions[1].text
    assert at.text_area(key=f"xq_text-{item.id}").value == versions[1].text
    assert any("Saved as version 2" in s.value for s in at.success)
    assert red(at) == []
    assert to_check(at) == before - 1
    assert any(c.value.startswith("\\[1\\]") for c in at.caption)  # v2 keeps v1's sources
    at.button(key="xq_back").click().run()
    assert any("1 red mark**" in m.value for m in at.markdown)  # the wrong voice is left


def test_keep_stops_counting_the_mark_in_the_item_and_the_list(app_env: AppEnv) -> None:
    item = seed(app_env)
    at = queue_page(app_env, "editor", item.id)
    at.button(key=f"xq_keep-{item.id}-1-0").click().run()
    assert not at.exception, at.exception
    assert red(at) == []
    assert f"kept · {TRANSPLANT}" in [m.value for m in at.markdown]
    assert [v.kind for v in ExplainerQueue(app_env.workflow().sessions).versions(item.id)] == ["ai"]
    at.button(key="xq_back").click().run()
    assert any("1 red mark**" in m.value for m in at.markdown)  # the wrong voice is left


def test_i_have_read_this_needs_the_item_opened_for_that_version(app_env: AppEnv) -> None:
    item = seed(app_env)
    at = queue_page(app_env, "editor")
    box = at.checkbox(key=f"xq_read-{item.id}-1")
    assert box.disabled
    assert box.help == "Open it first"
    at.session_state[f"xq_read-{item.id}-1"] = True  # forced past the disabled box: not counted
    at.run()
    assert at.button(key="xq_bulk").label == "Approve selected (0)"
    assert at.button(key="xq_bulk").disabled

    at.button(key=f"xq_open-{item.id}").click().run()
    at.button(key="xq_back").click().run()
    assert not at.exception, at.exception
    box = at.checkbox(key=f"xq_read-{item.id}-1")
    assert not box.disabled
    box.check().run()
    assert at.button(key="xq_bulk").label == "Approve selected (1)"

    queue = ExplainerQueue(app_env.workflow().sessions)
    queue.edit(login(app_env, "editor"), item.id, item.latest.text + "\n\nMore.", base=1)
    at.run()
    assert at.checkbox(key=f"xq_read-{item.id}-2").disabled  # a newer version is unread again
    assert at.button(key="xq_bulk").disabled
