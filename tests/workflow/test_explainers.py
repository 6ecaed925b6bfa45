"""The editors' More Info queue: the Q&A records it takes, versions, approve, reject, regenerate,
bulk, publishing, roles, and the database upgrade. Batches are in tests/jobs/test_explain.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, text

from drafter.core.errors import (
    BackendUnavailableError,
    EditConflictError,
    InputError,
    PermissionDeniedError,
)
from drafter.core.question import PatientQuestion
from drafter.core.records import QAPair
from drafter.drafting.draft import Draft
from drafter.workflow import audit
from drafter.workflow.accounts import User, get_user
from drafter.workflow.database import open_database
from drafter.workflow.explainers import ExplainerQueue
from knowledge.documents import qa_from_metadata, qa_rows
from knowledge.store import _clean
from tests.support.workflow_kit import Desk, migrated_to

EXPLAINER = (
    "Here is what your doctor's answer means, in plain words [1].\n\n"
    "## Causes\n\nThe knee takes the load of each step, and a sudden increase in running is the "
    "usual reason it starts to ache [1].\n\n## Management\n\nRest from running for a week, then "
    "build up by about a tenth a week; ice after exercise eases the soreness [1].\n\n"
    "## Conclusion\n\nMost knees settle with rest and a slower return; come in if it swells."
)


# --- helpers ------------------------------------------------------------------------------------


class Publisher:
    """Records what the queue publishes; fails when told to."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.error: str | None = None

    def __call__(self, texts: Any) -> None:
        if self.error:
            raise ConnectionError(self.error)
        self.calls.append(dict(texts))


def qa(n: int, **fields: Any) -> QAPair:
    values: dict[str, Any] = {
        "id": f"qa-test-{n}",
        "title": f"Knee Pain, Case {n}",
        "question": f"My knee hurts after running, case {n}. What should I do?",
        "answer": "Hello, rest it for a week and build up slowly.",
        "specialty": "Orthopedics",
        "asked_date": date(2021, 1, n),
    }
    return QAPair(**{**values, **fields})


def generated(text: str = EXPLAINER, problems: Sequence[str] = ()) -> Draft:
    draft = Draft(
        PatientQuestion("q"),
        explainer=text,
        model="fake:explainer",
        prompt_versions={"explainer": "explainer@v2#abcd"},
    )
    draft.problems = list(problems)
    return draft


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
def queue(desk: Desk, publisher: Publisher) -> ExplainerQueue:
    return ExplainerQueue(desk.workflow.sessions, publisher=publisher)


def queued(queue: ExplainerQueue, editor: User, *numbers: int) -> list[int]:
    ids = []
    for n in numbers:
        item = queue.add_generated(editor, qa(n), generated())
        assert item is not None
        ids.append(item.id)
    return ids


def actions(queue: ExplainerQueue) -> list[str]:
    with queue.sessions() as session:
        return [e.action for e in audit.events(session)]


# --- the Q&A records the queue takes ----------------------------------------------------------


def test_a_stored_qa_reads_back_as_the_record_that_was_written() -> None:
    record = qa(3, doctor="Dr. Lin", age_group="30-39", sex="male", explainer="## More\nText")
    assert qa_from_metadata(_clean(qa_rows(record)[0].metadata)) == record


# --- the queue ----------------------------------------------------------------------------------


def test_add_generated_never_queues_a_qa_twice(queue: ExplainerQueue, desk: Desk) -> None:
    assert queue.add_generated(desk.editor, qa(1), generated()) is not None
    assert queue.add_generated(desk.editor, qa(1), generated("Another text")) is None
    assert [v.text for v in queue.versions(queue.items()[0].id)] == [EXPLAINER]
    assert queue.done_ids(["qa-test-1", "qa-test-2"]) == {"qa-test-1"}


def test_edits_keep_every_version_and_a_stale_edit_is_kept_with_a_warning(
    queue: ExplainerQueue, desk: Desk
) -> None:
    (item_id,) = queued(queue, desk.editor, 1)
    assert queue.edit(desk.editor, item_id, EXPLAINER, base=1).number == 1  # unchanged: no save
    v2 = queue.edit(desk.editor, item_id, EXPLAINER + " Edited.", base=1)
    assert (v2.number, v2.kind, v2.based_on, v2.author) == (2, "edit", 1, "editor")
    editor2 = desk.users["editor2"]
    with pytest.raises(EditConflictError, match="changed by Elena Marsh since you opened it"):
        queue.edit(editor2, item_id, "Tom's text", base=1)
    versions = queue.versions(item_id)
    assert [(v.number, v.text[-8:]) for v in versions] == [
        (1, EXPLAINER[-8:]),
        (2, " Edited."),
        (3, "m's text"),
    ]
    assert versions[2].details["conflict_with"] == 2
    with pytest.raises(InputError, match="has no version 9"):
        queue.edit(desk.editor, item_id, "x", base=9)
    with pytest.raises(InputError, match="no explainer 999"):
        queue.edit(desk.editor, 999, "x", base=1)


def test_approve_publishes_and_an_edit_sends_it_back_to_review(
    queue: ExplainerQueue, desk: Desk, publisher: Publisher
) -> None:
    (item_id,) = queued(queue, desk.editor, 1)
    approval = queue.approve(desk.editor, item_id, version=1)
    assert (approval.approved, approval.published) == ([(item_id, 1)], ["qa-test-1"])
    assert publisher.calls == [{"qa-test-1": EXPLAINER}]
    assert queue.item(item_id).status == "approved"
    assert [(d.decision, d.version_number) for d in queue.decisions(item_id)] == [("approved", 1)]
    queue.edit(desk.editor, item_id, "## A\nfixed", base=1)
    assert queue.item(item_id).status == "pending"
    with pytest.raises(InputError, match="changed since you read it"):
        queue.approve(desk.editor, item_id, version=1)
    assert queue.counts() == {"pending": 1, "approved": 0, "rejected": 0}
    assert actions(queue)[-3:] == ["explainer.approve", "explainer.publish", "explainer.edit"]


def test_bulk_approve_is_one_transaction_and_one_publish(
    queue: ExplainerQueue, desk: Desk, publisher: Publisher
) -> None:
    a, b, c = queued(queue, desk.editor, 1, 2, 3)
    queue.approve_many(desk.editor, {a: 1, b: 1})
    assert publisher.calls == [{"qa-test-1": EXPLAINER, "qa-test-2": EXPLAINER}]
    assert [queue.item(i).status for i in (a, b, c)] == ["approved", "approved", "pending"]
    queue.edit(desk.editor, c, "changed", base=1)
    with pytest.raises(InputError, match=f"explainer {c} changed since you read it"):
        queue.approve_many(desk.editor, {a: 1, c: 1})
    assert len(queue.decisions(a)) == 1  # nothing of the refused bulk landed
    with pytest.raises(InputError, match="at least one"):
        queue.approve_many(desk.editor, {})


def test_a_failed_publish_is_recorded_and_the_approval_stands(
    queue: ExplainerQueue, desk: Desk, publisher: Publisher
) -> None:
    (item_id,) = queued(queue, desk.editor, 1)
    publisher.error = "Chroma is down"
    approval = queue.approve(desk.editor, item_id)
    assert (approval.published, approval.publish_error) == ([], "Chroma is down")
    assert queue.item(item_id).status == "approved"
    assert actions(queue)[-1] == "explainer.publish_failed"


def test_reject_needs_a_reason_and_a_regeneration_sends_it_back(
    queue: ExplainerQueue, desk: Desk
) -> None:
    (item_id,) = queued(queue, desk.editor, 1)
    with pytest.raises(InputError, match="give a reason"):
        queue.reject(desk.editor, item_id, "   ")
    with pytest.raises(InputError, match="limit is 500"):
        queue.reject(desk.editor, item_id, "x" * 501)
    decision = queue.reject(desk.editor, item_id, "  contradicts the\ndoctor's answer ")
    assert decision.reason == "contradicts the doctor's answer"
    assert queue.item(item_id).status == "rejected"
    assert queue.items(status="pending") == []
    with pytest.raises(BackendUnavailableError, match="unchanged"):
        queue.add_regenerated(desk.editor, item_id, Draft(PatientQuestion("q"), error="down"))
    v2 = queue.add_regenerated(desk.editor, item_id, generated("## New\ntext"))
    assert (v2.number, v2.kind) == (2, "regenerate")
    assert queue.item(item_id).status == "pending"
    assert [d.decision for d in queue.decisions(item_id)] == ["rejected"]


def test_items_filter_by_status_specialty_and_words(queue: ExplainerQueue, desk: Desk) -> None:
    queued(queue, desk.editor, 1, 2)
    queue.add_generated(
        desk.editor, qa(3, specialty="Cardiology", title="Palpitations"), generated()
    )
    assert [i.qa_id for i in queue.items(specialty="cardiology")] == ["qa-test-3"]
    assert [i.qa_id for i in queue.items(search="palpit")] == ["qa-test-3"]
    assert [i.qa_id for i in queue.items(search="case 2")] == ["qa-test-2"]
    assert len(queue.items(status="pending", limit=2)) == 2


@pytest.mark.parametrize("role", ["doctor", "reviewer", "admin"])
def test_only_editors_work_the_queue(queue: ExplainerQueue, desk: Desk, role: str) -> None:
    (item_id,) = queued(queue, desk.editor, 1)
    other = desk.users[role]
    attempts: list[Callable[[], object]] = [
        lambda: queue.edit(other, item_id, "mine", base=1),
        lambda: queue.approve(other, item_id),
        lambda: queue.approve_many(other, {item_id: 1}),
        lambda: queue.reject(other, item_id, "no"),
        lambda: queue.add_regenerated(other, item_id, generated()),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError, match="may not approve explainer"):
            attempt()
    assert len(queue.versions(item_id)) == 1
    assert queue.decisions(item_id) == []
    assert queue.items()[0].title == "Knee Pain, Case 1"  # reading is open to everyone


@pytest.mark.parametrize(
    ("role", "allowed"), [("editor", True), ("admin", True), ("doctor", False), ("reviewer", False)]
)
def test_who_may_generate_explainers(
    queue: ExplainerQueue, desk: Desk, role: str, allowed: bool
) -> None:
    user = desk.users[role]
    if allowed:
        assert queue.add_generated(user, qa(1), generated()) is not None
        return
    with pytest.raises(PermissionDeniedError, match="may not generate explainers"):
        queue.add_generated(user, qa(1), generated())


# --- the database -------------------------------------------------------------------------------


def test_an_existing_database_upgrades_to_the_queue_and_keeps_its_rows(database_url: str) -> None:
    old = migrated_to(database_url, "0001")
    with old.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, role, password_hash, active, "
                "created_at) VALUES ('kept', 'Kept', 'editor', 'x', :active, :created_at)"
            ),
            {"active": True, "created_at": datetime(2026, 1, 1)},
        )
    old.dispose()
    sessions = open_database(database_url)
    engine = sessions.kw["bind"]
    tables = set(inspect(engine).get_table_names())
    assert {"explainer_items", "explainer_versions", "explainer_decisions"} <= tables
    with sessions() as session:
        assert get_user(session, "kept") is not None
