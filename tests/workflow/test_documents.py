"""The versioned-document service, one contract for both kinds: a question's draft versions and a
queued explainer's versions are edited, numbered, marked in conflict and published alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drafter.core.errors import EditConflictError, InputError
from drafter.core.records import QAPair
from drafter.workflow import audit
from drafter.workflow.accounts import User
from drafter.workflow.documents import Documents
from drafter.workflow.drafts import DRAFTS
from drafter.workflow.explainers import EXPLAINERS, ExplainerQueue
from tests.support.postgres import Databases
from tests.support.workflow_kit import QUESTION, Desk, ai_draft, make_desk


@dataclass
class Case:
    """One kind of document on a desk: its service, a document with version 1 from an
    interrupted draft, how an edit's text is given, and how to read the owner's status."""

    documents: Documents[Any, Any, Any]
    owner_id: int
    user: User
    texts: Callable[[str], dict[str, str]]
    status: Callable[[], str]
    status_after: str


def draft_case(desk: Desk) -> Case:
    workflow = desk.workflow
    q = workflow.add_question(desk.doctor, QUESTION)
    v1 = workflow.save_draft(desk.doctor, q.id, ai_draft(error="went away"))
    workflow.approve(desk.doctor, q.id, "reply")  # an approved question stays approved
    return Case(
        Documents(workflow.sessions, DRAFTS),
        q.id,
        desk.editor,
        lambda reply: {"title": v1.title, "reply": reply, "explainer": v1.explainer},
        lambda: workflow.question(q.id).status,
        "approved",
    )


def explainer_case(desk: Desk) -> Case:
    queue = ExplainerQueue(desk.workflow.sessions)
    qa = QAPair(id="qa-1", title="Knee Pain", question="My knee hurts?", answer="Rest it.")
    item = queue.add_generated(desk.editor, qa, ai_draft(error="went away"))
    assert item is not None
    queue.reject(desk.editor, item.id, "too long")
    return Case(
        Documents(desk.workflow.sessions, EXPLAINERS),
        item.id,
        desk.editor,
        lambda text: {"text": text},
        lambda: queue.item(item.id).status,
        "pending",  # a new text needs a new decision
    )


@pytest.fixture(params=[draft_case, explainer_case], ids=["draft", "explainer"])
def case(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    databases: Databases,
) -> Case:
    make: Callable[[Desk], Case] = request.param
    return make(make_desk(tmp_path_factory, tmp_path, databases=databases))


def last_event(case: Case) -> audit.AuditEvent:
    return audit.read(case.documents.sessions)[-1]


def test_an_edit_is_the_next_version_and_keeps_the_provenance_not_the_verdict(case: Case) -> None:
    (v1,) = case.documents.versions(case.owner_id)
    assert v1.details["error"] == "went away"
    before = audit.read(case.documents.sessions)
    edited = case.documents.edit(case.user, case.owner_id, base=1, texts=case.texts("New text."))
    assert (edited.number, edited.kind, edited.based_on, edited.author) == (2, "edit", 1, "editor")
    assert (edited.model, edited.prompt_version) == (v1.model, v1.prompt_version)
    assert edited.details["edited_from"] == 1
    assert not {"status", "error", "problems"} & set(edited.details)
    assert case.status() == case.status_after
    event = last_event(case)
    assert (event.action, event.detail["number"], event.detail["based_on"]) == (
        case.documents.kind.edit_action,
        2,
        1,
    )
    assert len(audit.read(case.documents.sessions)) == len(before) + 1


def test_an_unchanged_edit_saves_nothing_and_returns_its_base(case: Case) -> None:
    (v1,) = case.documents.versions(case.owner_id)
    texts = {name: getattr(v1, name) for name in case.documents.kind.text_fields}
    before = audit.read(case.documents.sessions)
    assert case.documents.edit(case.user, case.owner_id, base=1, texts=texts) == v1
    assert case.documents.versions(case.owner_id) == [v1]
    assert audit.read(case.documents.sessions) == before


def test_an_edit_from_an_older_version_is_kept_marked_and_reported(case: Case) -> None:
    case.documents.edit(case.user, case.owner_id, base=1, texts=case.texts("First."))
    with pytest.raises(EditConflictError) as caught:
        case.documents.edit(case.user, case.owner_id, base=1, texts=case.texts("Second."))
    assert (caught.value.saved_as, caught.value.latest) == (3, 2)
    assert "changed by Elena Marsh since you opened it" in str(caught.value)
    assert case.documents.versions(case.owner_id)[-1].details["conflict_with"] == 2
    assert last_event(case).action == case.documents.kind.edit_action + ".conflict"


def test_an_unknown_document_then_an_unknown_base_is_named(case: Case) -> None:
    label = case.documents.kind.label
    with pytest.raises(InputError, match=f"there is no {label} 999"):
        case.documents.edit(case.user, 999, base=1, texts=case.texts("x"))
    with pytest.raises(InputError, match=f"{label} {case.owner_id} has no version 9"):
        case.documents.edit(case.user, case.owner_id, base=9, texts=case.texts("x"))


def test_publishing_audits_what_was_sent_and_records_a_failure_without_raising(
    case: Case,
) -> None:
    kind, where = case.documents.kind, {"where": "test"}
    sent = case.documents.publish(case.user, lambda: "rec-1", detail=where, result_key="id")
    assert sent == ("rec-1", None)
    assert (last_event(case).action, last_event(case).detail) == (
        kind.published,
        {"where": "test", "id": "rec-1"},
    )

    def down() -> str:
        raise ConnectionError("store down")

    assert case.documents.publish(case.user, down, detail=where) == (None, "store down")
    assert (last_event(case).action, last_event(case).detail) == (
        kind.publish_failed,
        {"where": "test", "error": "store down"},
    )
