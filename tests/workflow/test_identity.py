"""The acting user comes from the database, not from the caller: a forged or stale `User` is
refused by the workflow, the explainer queue and ratings; only an admin adds accounts, except the
first (admin) account of an empty database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import delete, update

from drafter.core.errors import InputError, PermissionDeniedError
from drafter.core.question import PatientQuestion
from drafter.core.records import QAPair
from drafter.drafting.draft import Draft
from drafter.workflow.accounts import User
from drafter.workflow.database import open_database
from drafter.workflow.doctor import Workflow
from drafter.workflow.explainers import ExplainerQueue
from drafter.workflow.export import approved_draft, render
from drafter.workflow.tables import UserRow
from tests.support.workflow_kit import Desk, drafted


def _queued(desk: Desk) -> tuple[ExplainerQueue, int]:
    queue = ExplainerQueue(desk.workflow.sessions)
    qa = QAPair(
        id="qa-identity-1",
        title="Knee Pain",
        question="My knee hurts after running. What should I do?",
        answer="Hello, rest it for a week and build up slowly.",
        specialty="Orthopedics",
        asked_date=date(2021, 1, 1),
    )
    draft = Draft(PatientQuestion("q"), explainer="## Causes\nToo much too soon.", model="fake")
    item = queue.add_generated(desk.editor, qa, draft)
    assert item is not None
    return queue, item.id


def test_a_forged_role_cannot_approve_and_the_export_names_nobody(desk: Desk) -> None:
    q, _ = drafted(desk)
    forged = User("reviewer", "Rita Okafor", "doctor")  # the stored role is reviewer
    with pytest.raises(PermissionDeniedError, match=r"reviewer \(reviewer\) may not approve reply"):
        desk.workflow.approve(forged, q.id, "reply")
    assert desk.workflow.approvals(q.id) == []
    assert desk.workflow.question(q.id).status != "approved"
    assert approved_draft(desk.workflow, q.id) is None


def test_an_export_names_the_stored_account_not_the_object_passed_in(desk: Desk) -> None:
    q, _ = drafted(desk)
    desk.workflow.approve(User("doctor", "Dr. Someone Else", "doctor"), q.id, "reply")
    draft = approved_draft(desk.workflow, q.id)
    assert draft is not None
    page = render(draft, "md")
    assert "Dr. Ana Ruiz" in page
    assert "Someone Else" not in page


@pytest.mark.parametrize(
    ("forged", "act"),
    [
        (User("doctor", "Dr. Ana Ruiz", "editor"), "approve"),
        (User("reviewer", "Rita Okafor", "editor"), "edit"),
        (User("admin", "Sam Admin", "editor"), "reject"),
    ],
)
def test_the_explainer_queue_refuses_a_forged_editor(desk: Desk, forged: User, act: str) -> None:
    queue, item_id = _queued(desk)
    acts: dict[str, Callable[[], object]] = {
        "approve": lambda: queue.approve(forged, item_id),
        "edit": lambda: queue.edit(forged, item_id, "Changed.", base=1),
        "reject": lambda: queue.reject(forged, item_id, "not good"),
    }
    with pytest.raises(PermissionDeniedError, match=f"{forged.username} \\(.+\\) may not"):
        acts[act]()
    assert queue.item(item_id).status == "pending"
    assert len(queue.versions(item_id)) == 1


def test_a_forged_reviewer_cannot_rate(desk: Desk) -> None:
    _, v1 = drafted(desk)
    with pytest.raises(PermissionDeniedError, match=r"doctor \(doctor\) may not rate"):
        desk.workflow.rate(User("doctor", "Dr. Ana Ruiz", "reviewer"), v1.id, {"empathy": 3})
    assert desk.workflow.ratings() == []


def test_a_forged_admin_cannot_add_an_account(desk: Desk) -> None:
    with pytest.raises(PermissionDeniedError, match=r"doctor \(doctor\) may not manage users"):
        desk.workflow.add_user(User("doctor", "x", "admin"), "mallory", "long-enough-1", "admin")
    assert "mallory" not in {u.username for u in desk.workflow.users()}


def test_an_account_not_in_the_database_is_refused(desk: Desk) -> None:
    q, _ = drafted(desk)
    for ghost in (User("system", "Drafter", "admin"), User("ghost", "Dr. Ghost", "doctor")):
        with pytest.raises(PermissionDeniedError, match="is not an active account"):
            desk.workflow.approve(ghost, q.id, "reply")
    with pytest.raises(PermissionDeniedError, match="is not an active account"):
        desk.workflow.add_user(User("system", "Drafter", "admin"), "eve", "long-enough-1", "admin")
    assert desk.workflow.approvals(q.id) == []


def test_a_deactivated_or_deleted_account_is_refused_with_the_session_it_has(desk: Desk) -> None:
    q, _ = drafted(desk)
    signed_in = desk.workflow.login("doctor", "doctor-pass-1")
    desk.workflow.set_active(desk.admin, "doctor", False)
    with pytest.raises(PermissionDeniedError, match="doctor is not an active account"):
        desk.workflow.approve(signed_in, q.id, "reply")
    with pytest.raises(PermissionDeniedError, match="wrong username or password"):
        desk.workflow.login("doctor", "doctor-pass-1")
    assert [e.action for e in desk.workflow.audit()][-2:] == ["user.deactivate", "login.failed"]
    desk.workflow.set_active(desk.admin, "doctor", True)
    assert desk.workflow.approve(signed_in, q.id, "reply").approved_by == "doctor"
    with desk.workflow.sessions.begin() as session:
        session.execute(delete(UserRow).where(UserRow.username == "editor"))
    with pytest.raises(PermissionDeniedError, match="editor is not an active account"):
        desk.workflow.approve(desk.editor, q.id, "explainer")


def test_a_role_changed_since_login_is_the_role_that_counts(desk: Desk) -> None:
    q, _ = drafted(desk)
    signed_in = desk.workflow.login("doctor", "doctor-pass-1")
    with desk.workflow.sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.username == "doctor").values(role="reviewer"))
    with pytest.raises(PermissionDeniedError, match=r"doctor \(reviewer\) may not approve reply"):
        desk.workflow.approve(signed_in, q.id, "reply")


def test_only_an_admin_deactivates_and_not_themselves(desk: Desk) -> None:
    with pytest.raises(PermissionDeniedError, match="may not manage users"):
        desk.workflow.set_active(desk.doctor, "editor", False)
    with pytest.raises(InputError, match="cannot deactivate their own account"):
        desk.workflow.set_active(desk.admin, "admin", False)
    with pytest.raises(InputError, match="there is no user 'nobody'"):
        desk.workflow.set_active(desk.admin, "nobody", False)


def test_the_first_account_of_an_empty_database_needs_no_login_and_is_an_admin(
    database_url: str,
) -> None:
    workflow = Workflow(open_database(database_url))
    with pytest.raises(InputError, match="first account of a new database must be an admin"):
        workflow.add_user(None, "jroe", "long-enough-1", "doctor")
    root = workflow.add_user(None, "root", "long-enough-1", "admin", "Root")
    assert root == User("root", "Root", "admin")
    [event] = workflow.audit()
    assert (event.actor, event.action) == ("root", "user.add")
    assert event.detail == {"username": "root", "role": "admin", "first_account": True}
    with pytest.raises(PermissionDeniedError, match="needs an admin's login"):
        workflow.add_user(None, "second", "long-enough-1", "admin")
    assert [u.username for u in workflow.users()] == ["root"]
    workflow.add_user(root, "jroe", "long-enough-1", "doctor")
    assert workflow.audit()[-1].actor == "root"
