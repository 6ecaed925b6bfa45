"""The More Info queue page through AppTest: empty state, read / edit / approve one, reject with a
reason, regenerate with an instruction, bulk approve after opening, and read-only roles."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.jobs.explain import Selection, select_qas
from drafter.services import Services
from drafter.workflow.explainers import ExplainerItem, ExplainerQueue
from tests.conftest import AppEnv
from tests.support.apptest import login, page_as
from tests.support.fakes import page_responder

PAGE = "views/explainers.py"


def seed(env: AppEnv, n: int) -> list[ExplainerItem]:
    """Queue the first n Cardiology Q&As with a generated explainer (no model run)."""
    queue = ExplainerQueue(env.workflow().sessions)
    editor = login(env, "editor")
    for qa in select_qas(Services(env.settings).store(), Selection(specialty="Cardiology"))[:n]:
        system = "More Info ## Causes, ## Management, ## Conclusion"
        text = page_responder({"messages": [{"role": "system", "content": system}]})
        draft = Draft(
            PatientQuestion(qa.question),
            explainer=f"{text}\n\nAbout: {qa.id}",
            model="fake:explainer",
            prompt_versions={"explainer": "explainer@v2#abcd"},
        )
        queue.add_generated(editor, qa, draft)
    return queue.items()


def queue_page(env: AppEnv, role: str, item: int | None = None) -> AppTest:
    return page_as(env, role, PAGE, **({} if item is None else {"item": str(item)}))


def test_an_empty_queue_says_how_to_fill_it(app_env: AppEnv) -> None:
    at = queue_page(app_env, "editor")
    assert at.title[0].value == "More Info queue"
    assert any("drafter explain --missing-only" in i.value for i in at.info)


def test_an_editor_opens_reads_edits_and_approves_into_the_knowledge_base(
    app_env: AppEnv,
) -> None:
    first, second = seed(app_env, 2)
    at = queue_page(app_env, "editor")
    assert [m.value for m in at.metric][:1] == ["2"]
    assert {b.key for b in at.button} >= {f"xq_open-{first.id}", f"xq_open-{second.id}"}
    at.button(key=f"xq_open-{first.id}").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == first.title
    shown = " ".join(m.value for m in at.markdown)
    assert first.question[:80] in shown
    assert first.answer[:80] in shown
    box = at.text_area(key=f"xq_text-{first.id}")
    assert box.value == first.latest.text

    box.input(first.latest.text + "\n\nReviewed by the editor.").run()
    queue = ExplainerQueue(app_env.workflow().sessions)
    assert [v.kind for v in queue.versions(first.id)] == ["ai", "edit"]
    assert any("Saved as version 2" in s.value for s in at.success)

    at.button(key="xq_approve").click().run()
    assert not at.exception, at.exception
    assert any("1 approved and added to the knowledge base" in s.value for s in at.success)
    assert queue.item(first.id).status == "approved"
    (stored,) = Services(app_env.settings).store().get("qa", [first.qa_id])
    assert stored.metadata["explainer"].endswith("Reviewed by the editor.")

    at.button(key="xq_back").click().run()
    assert f"xq_open-{first.id}" not in {b.key for b in at.button}  # the list shows pending ones
    assert f"xq_open-{second.id}" in {b.key for b in at.button}


def test_reject_needs_a_reason_and_regenerate_takes_an_instruction(app_env: AppEnv) -> None:
    (item,) = seed(app_env, 1)
    at = queue_page(app_env, "editor", item.id)
    at.button(key="xq_reject").click().run()
    assert any("give a reason" in e.value for e in at.error)
    at.text_input(key="xq_reason").input("It contradicts the doctor's answer.")
    at.button(key="xq_reject").click().run()
    assert any("Version 1 rejected: It contradicts" in s.value for s in at.success)
    queue = ExplainerQueue(app_env.workflow().sessions)
    assert queue.item(item.id).status == "rejected"

    at.selectbox(key="xq_preset").select("shorter")
    at.button(key="xq_regenerate").click().run()
    assert not at.exception, at.exception
    assert any("Regenerated as version 2" in s.value for s in at.success)
    latest = queue.item(item.id).latest
    assert (latest.kind, latest.instruction, queue.item(item.id).status) == (
        "regenerate",
        "shorter",
        "pending",
    )
    assert "shorter" in app_env.stub.requests[-1]["messages"][-1]["content"]
    assert at.text_area(key=f"xq_text-{item.id}").value == latest.text  # the box shows it


def test_bulk_approve_takes_only_what_was_ticked_as_read(app_env: AppEnv) -> None:
    a, b, c = seed(app_env, 3)
    at = queue_page(app_env, "editor")
    assert at.button(key="xq_bulk").disabled
    for opened in (a, b, c):  # only an opened version can be ticked as read
        at.button(key=f"xq_open-{opened.id}").click().run()
        at.button(key="xq_back").click().run()
    at.checkbox(key=f"xq_read-{a.id}-1").check()
    at.checkbox(key=f"xq_read-{c.id}-1").check().run()
    assert at.button(key="xq_bulk").label == "Approve selected (2)"
    at.button(key="xq_bulk").click().run()
    assert not at.exception, at.exception
    assert any("2 approved and added to the knowledge base" in s.value for s in at.success)
    queue = ExplainerQueue(app_env.workflow().sessions)
    assert [queue.item(i.id).status for i in (a, b, c)] == ["approved", "pending", "approved"]
    assert [m.value for m in at.metric] == ["1", "2", "0"]

    at.selectbox(key="xq_status").select("approved").run()
    assert {f"xq_open-{a.id}", f"xq_open-{c.id}"} <= {b.key for b in at.button}
    assert not [c for c in at.checkbox if str(c.key).startswith("xq_read-")]  # none to tick
    at.selectbox(key="xq_specialty").select("Dermatology").run()
    assert any("No explainer matches" in i.value for i in at.info)


def test_other_roles_read_the_queue_but_cannot_act(app_env: AppEnv) -> None:
    (item,) = seed(app_env, 1)
    for role in ("doctor", "reviewer", "admin"):
        at = queue_page(app_env, role)
        assert any("Read only" in c.value for c in at.caption), role
        assert not [c for c in at.checkbox if str(c.key).startswith("xq_read-")]
        assert "xq_bulk" not in {b.key for b in at.button}
        opened = queue_page(app_env, role, item.id)
        keys = {b.key for b in opened.button}
        assert not keys & {"xq_approve", "xq_reject", "xq_regenerate", "xq_save"}, role
        assert not opened.text_area
        assert any(item.latest.text[:60] in m.value for m in opened.markdown)
