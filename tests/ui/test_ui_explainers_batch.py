"""Starting a batch of explainers from the More Info queue page: the filters of `drafter explain`,
the app's chat backend (the OpenAI stub), a progress bar per explainer and a summary; a rerun
skips the queued Q&As; only those who may run batches see the form."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from drafter.workflow.explainers import ExplainerQueue
from tests.conftest import AppEnv
from tests.support.apptest import page_as

PAGE = "views/explainers.py"


def start(at: AppTest, *, specialty: str, limit: int) -> None:
    at.selectbox(key="xq_b_specialty").select(specialty)
    at.number_input(key="xq_b_limit").set_value(limit)
    at.button(key="xq_b_start").click().run()
    assert not at.exception, at.exception


def progress(at: AppTest) -> Any:
    (bar,) = at.get("progress")
    return bar.proto


def explainer_requests(env: AppEnv) -> int:
    return sum(
        "More Info" in next((m["content"] for m in r["messages"] if m["role"] == "system"), "")
        for r in env.stub.requests
    )


def test_a_batch_from_the_page_queues_at_most_the_limit_and_shows_its_progress(
    app_env: AppEnv,
) -> None:
    at = page_as(app_env, "editor", PAGE)
    start(at, specialty="Cardiology", limit=2)
    queue = ExplainerQueue(app_env.workflow().sessions)
    items = queue.items()
    assert len(items) == 2
    assert {i.specialty for i in items} == {"Cardiology"}
    assert {i.latest.model for i in items} == {"openai:stub-model"}  # the app's chat backend
    assert explainer_requests(app_env) == 2
    bar = progress(at)
    assert bar.value == 100
    assert bar.text.startswith("2 of 2 · done: ")
    assert any(i.title in bar.text for i in items)  # the title of the last one finished
    assert any(
        "Generated 2, skipped 0 (already in the queue), failed 0" in s.value for s in at.success
    )
    assert [m.value for m in at.metric][:1] == ["2"]  # the counts include the new ones

    start(at, specialty="Cardiology", limit=2)  # resumable: the queued two are skipped
    assert len(queue.items()) == 4
    assert any("Generated 2, skipped 2 (already in the queue)" in s.value for s in at.success)


@pytest.mark.parametrize(
    ("role", "sees"), [("reviewer", False), ("doctor", False), ("admin", True)]
)
def test_only_those_who_may_run_batches_see_the_form(
    app_env: AppEnv, role: str, sees: bool
) -> None:
    at = page_as(app_env, role, PAGE)
    keys = {b.key for b in at.button}
    assert ("xq_b_start" in keys) is sees
    assert any(e.label == "Generate explainers" for e in at.expander) is sees
