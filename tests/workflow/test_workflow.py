"""The workflow library: every draft version kept, optimistic saves under real concurrency, roles
enforced on every action, approvals and publishing, ratings and the audit log. Runs on private
SQLite files; no model and no knowledge base are needed (the inbox: test_questions.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from drafter.core.errors import BackendUnavailableError, EditConflictError, InputError
from drafter.core.errors import PermissionDeniedError as Denied
from drafter.workflow.accounts import User
from drafter.workflow.doctor import ApprovedPage, Question
from drafter.workflow.export import approved_draft, render, version_draft
from tests.support.postgres import Databases
from tests.support.workflow_kit import (
    PROMPTS,
    QUESTION,
    Desk,
    actions,
    ai_draft,
    drafted,
    make_desk,
)

REFS = "title=title@v1#aaaa, reply=short_reply@v2#bbbb, explainer=explainer@v2#cc"


# --- versions -----------------------------------------------------------------------------------


def test_every_version_is_kept_ai_draft_regeneration_and_edits(desk: Desk) -> None:
    q, v1 = drafted(desk)
    assert (v1.number, v1.kind, v1.based_on, v1.author) == (1, "ai", None, "doctor")
    assert (v1.model, v1.prompt_version) == ("fake:scripted", REFS)
    assert v1.details["status"] == "complete"
    assert desk.workflow.question(q.id).status == "drafted"
    v2 = desk.workflow.save_draft(
        desk.doctor,
        q.id,
        ai_draft(reply="Shorter: likely shin splints [1]."),
        kind="regenerate",
        based_on=1,
        instruction="shorter",
    )
    assert (v2.number, v2.kind, v2.based_on, v2.instruction) == (2, "regenerate", 1, "shorter")
    v3 = desk.workflow.save_edit(
        desk.editor,
        q.id,
        base=2,
        title=v2.title,
        reply="Shorter: most likely shin splints [1]. Rest for a week.",
        explainer=v2.explainer,
    )
    assert (v3.number, v3.kind, v3.based_on, v3.author) == (3, "edit", 2, "editor")
    assert (v3.model, v3.prompt_version) == ("fake:scripted", REFS)  # provenance of its base
    assert v3.details["edited_from"] == 2
    assert desk.workflow.versions(q.id) == [v1, v2, v3]
    assert [v.reply for v in desk.workflow.versions(q.id)] == [
        ai_draft().reply,
        "Shorter: likely shin splints [1].",
        "Shorter: most likely shin splints [1]. Rest for a week.",
    ]
    assert desk.workflow.latest(q.id) == v3


def test_an_unchanged_edit_saves_nothing(desk: Desk) -> None:
    q, v1 = drafted(desk)
    before = desk.workflow.audit()
    same = desk.workflow.save_edit(
        desk.editor, q.id, base=1, title=v1.title, reply=v1.reply, explainer=v1.explainer
    )
    assert same == v1
    assert desk.workflow.versions(q.id) == [v1]
    assert desk.workflow.audit() == before


def test_an_edit_of_a_version_that_does_not_exist_is_refused(desk: Desk) -> None:
    q, _ = drafted(desk)
    with pytest.raises(InputError, match=f"question {q.id} has no version 7"):
        desk.workflow.save_edit(desk.editor, q.id, base=7, title="t", reply="r", explainer="e")


def test_an_edit_of_an_interrupted_draft_is_not_marked_interrupted(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, QUESTION)
    cut = desk.workflow.save_draft(
        desk.doctor, q.id, ai_draft(reply="Hello, aching along", explainer="", error="went away")
    )
    assert cut.details["error"] == "went away"
    assert version_draft(q, cut).status == "incomplete"
    done = desk.workflow.save_edit(
        desk.doctor,
        q.id,
        base=cut.number,
        title=cut.title,
        reply="Hello, aching along the inner shins is most often shin splints [1].",
        explainer="",
    )
    assert done.details.get("error") is None
    assert version_draft(q, done).error is None


# --- optimistic saves ---------------------------------------------------------------------------


def test_two_editors_save_the_same_version_the_second_hears_who_and_both_are_kept(
    desk: Desk,
) -> None:
    q, v1 = drafted(desk)
    other = desk.users["editor2"]
    first = desk.workflow.save_edit(
        desk.editor, q.id, base=1, title=v1.title, reply="Elena's reply.", explainer=v1.explainer
    )
    assert first.number == 2
    with pytest.raises(EditConflictError) as caught:
        desk.workflow.save_edit(
            other, q.id, base=1, title=v1.title, reply="Tom's reply.", explainer=v1.explainer
        )
    conflict = caught.value
    assert "changed by Elena Marsh since you opened it" in str(conflict)
    assert (conflict.saved_as, conflict.latest, conflict.exit_code) == (3, 2, 6)
    versions = desk.workflow.versions(q.id)
    assert [(v.number, v.author, v.based_on, v.reply) for v in versions[1:]] == [
        (2, "editor", 1, "Elena's reply."),
        (3, "editor2", 1, "Tom's reply."),
    ]
    assert versions[2].details["conflict_with"] == 2
    assert actions(desk.workflow, question_id=q.id)[-2:] == ["draft.edit", "draft.edit.conflict"]
    # an edit made from the newest version is no conflict, whatever its base went through
    fixed = desk.workflow.save_edit(
        desk.editor, q.id, base=3, title=v1.title, reply="Merged reply.", explainer=v1.explainer
    )
    assert fixed.number == 4
    assert "conflict_with" not in fixed.details


def test_concurrent_saves_from_many_processes_lose_no_version(desk: Desk) -> None:
    """Twelve writers, each with its own engine on the one SQLite file, save three edits each at
    the same moment: every edit is kept, and the numbers are unique and contiguous."""
    q, v1 = drafted(desk)
    writers, rounds = 12, 3
    start = threading.Barrier(writers)
    outcomes: list[tuple[str, int]] = []
    failures: list[BaseException] = []
    editors = [desk.editor, desk.users["editor2"], desk.doctor]

    def write(i: int) -> None:
        workflow = desk.reopen()
        base = 1
        try:
            start.wait()
            for r in range(rounds):
                reply = f"writer {i} round {r}"
                user = editors[i % len(editors)]
                try:
                    saved = workflow.save_edit(
                        user, q.id, base=base, title=v1.title, reply=reply, explainer=""
                    )
                    outcomes.append((reply, saved.number))
                    base = saved.number
                except EditConflictError as exc:
                    outcomes.append((reply, exc.saved_as))
                    base = exc.saved_as
        except BaseException as exc:  # noqa: BLE001 - reported below with the others
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    versions = desk.workflow.versions(q.id)
    expected = {f"writer {i} round {r}" for i in range(writers) for r in range(rounds)}
    assert {v.reply for v in versions[1:]} == expected
    assert [v.number for v in versions] == list(range(1, writers * rounds + 2))
    assert sorted(n for _, n in outcomes) == list(range(2, writers * rounds + 2))
    assert {v.reply: v.number for v in versions[1:]} == dict(outcomes)
    edits = [a for a in actions(desk.workflow, question_id=q.id) if a.startswith("draft.edit")]
    assert len(edits) == writers * rounds


# --- roles --------------------------------------------------------------------------------------

ROLE_CASES: dict[str, tuple[set[str], Callable[[Desk, User, Question], object]]] = {
    "add a question": (
        {"doctor", "editor", "admin"},
        lambda d, u, q: d.workflow.add_question(u, "A new question about acne."),
    ),
    "save a draft": (
        {"doctor", "editor"},
        lambda d, u, q: d.workflow.save_draft(u, q.id, ai_draft(reply="Regenerated.")),
    ),
    "save an edit": (
        {"doctor", "editor"},
        lambda d, u, q: d.workflow.save_edit(
            u, q.id, base=1, title="t", reply="Edited.", explainer="e"
        ),
    ),
    "approve the reply": (
        {"doctor"},
        lambda d, u, q: d.workflow.approve(u, q.id, "reply"),
    ),
    "approve the explainer": (
        {"editor"},
        lambda d, u, q: d.workflow.approve(u, q.id, "explainer"),
    ),
    "rate": (
        {"reviewer"},
        lambda d, u, q: d.workflow.rate(u, d.workflow.versions(q.id)[0].id, {"accuracy": 4}),
    ),
    "add a user": (
        {"admin"},
        lambda d, u, q: d.workflow.add_user(u, "newcomer", "long-enough-1", "doctor"),
    ),
}


@pytest.mark.parametrize("role", ["doctor", "editor", "reviewer", "admin"])
@pytest.mark.parametrize("case", list(ROLE_CASES))
def test_roles_are_enforced_in_the_library(desk: Desk, case: str, role: str) -> None:
    allowed, call = ROLE_CASES[case]
    q, _ = drafted(desk)
    user = desk.users[role]
    before = (desk.workflow.audit(), desk.workflow.versions(q.id), desk.workflow.approvals(q.id))
    if role in allowed:
        call(desk, user, q)
        assert len(desk.workflow.audit()) > len(before[0])
        assert desk.workflow.audit()[-1].actor == role
    else:
        with pytest.raises(Denied, match=f"{role} \\({role}\\) may not"):
            call(desk, user, q)
        after = (desk.workflow.audit(), desk.workflow.versions(q.id), desk.workflow.approvals(q.id))
        assert after == before


# --- approvals and publishing -------------------------------------------------------------------


@pytest.fixture
def published() -> list[ApprovedPage]:
    return []


@pytest.fixture
def pub_desk(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    published: list[ApprovedPage],
    databases: Databases,
) -> Desk:
    def publish(page: ApprovedPage) -> str:
        published.append(page)
        return f"drafter-q{page.question.id}"

    return make_desk(tmp_path_factory, tmp_path, publisher=publish, databases=databases)


def test_a_doctor_approves_the_reply_and_it_is_published_with_its_audit(
    pub_desk: Desk, published: list[ApprovedPage]
) -> None:
    desk = pub_desk
    q, v1 = drafted(desk)
    desk.workflow.save_edit(
        desk.doctor,
        q.id,
        base=1,
        title=v1.title,
        reply="  Hello, this is most likely shin splints [1].  ",
        explainer=v1.explainer,
    )
    approval = desk.workflow.approve(desk.doctor, q.id, "reply")
    assert (approval.version_number, approval.part, approval.approved_by) == (2, "reply", "doctor")
    assert approval.final_text == "Hello, this is most likely shin splints [1]."
    assert approval.published == f"drafter-q{q.id}"
    assert desk.workflow.question(q.id).status == "approved"
    assert [(p.reply, p.explainer, p.doctor) for p in published] == [
        (approval.final_text, None, "Dr. Ana Ruiz")
    ]
    assert actions(desk.workflow, question_id=q.id)[-2:] == [
        "approve.reply",
        "publish.knowledge_base",
    ]
    event = desk.workflow.audit(question_id=q.id)[-2]
    assert (event.actor, event.model, event.prompt_version) == ("doctor", "fake:scripted", REFS)
    assert event.detail == {"number": 2, "edited": True}
    assert desk.workflow.audit()[-1].detail == {"record_id": f"drafter-q{q.id}"}


def test_the_red_marks_approved_anyway_land_in_the_approve_event(desk: Desk) -> None:
    q, _ = drafted(desk)
    mark = {"part": "reply", "verdict": "about_the_patient", "text": "You had a transplant."}
    desk.workflow.approve(desk.doctor, q.id, "reply", marks=[{**mark, "accepted": False}])
    event = next(e for e in desk.workflow.audit(question_id=q.id) if e.action == "approve.reply")
    assert event.detail["marks"] == [{**mark, "accepted": False}]
    assert (event.detail["number"], event.detail["edited"]) == (1, False)
    assert desk.workflow.verify_audit().intact


def test_approving_the_models_incomplete_text_unedited_records_the_cautions(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, QUESTION)
    draft = ai_draft()
    draft.problems.append("reply cites no source")
    desk.workflow.save_draft(desk.doctor, q.id, draft)
    approval = desk.workflow.approve(desk.doctor, q.id, "reply")
    assert [c.split(":")[0] for c in approval.cautions] == [
        "the short reply is the model's text, unedited",
        "the draft it comes from (version 1) is incomplete",
    ]
    assert approval.cautions[1].endswith("incomplete: reply cites no source")
    event = next(e for e in desk.workflow.audit(question_id=q.id) if e.action == "approve.reply")
    assert event.detail["cautions"] == list(approval.cautions)
    assert event.detail["edited"] is False


def test_a_reply_left_as_the_model_wrote_it_is_unedited_even_in_an_edited_version(
    pub_desk: Desk, published: list[ApprovedPage]
) -> None:
    desk = pub_desk
    q, v1 = drafted(desk)
    desk.workflow.save_edit(
        desk.doctor, q.id, base=1, title=v1.title, reply=f"  {v1.reply} ", explainer="## Mine"
    )
    approval = desk.workflow.approve(desk.doctor, q.id, "reply")  # version 2, reply untouched
    assert approval.version_number == 2
    assert "unedited" in approval.cautions[0]
    assert [p.doctor_edited for p in published] == [False]

    desk.workflow.save_edit(
        desk.doctor, q.id, base=2, title=v1.title, reply="Hello, rest for a week [1].", explainer=""
    )
    assert desk.workflow.approve(desk.doctor, q.id, "reply").cautions == ()
    assert [p.doctor_edited for p in published] == [False, True]


def test_an_editor_approves_the_explainer_which_joins_the_published_page(
    pub_desk: Desk, published: list[ApprovedPage]
) -> None:
    desk = pub_desk
    q, v1 = drafted(desk)
    early = desk.workflow.approve(desk.editor, q.id, "explainer")
    assert early.published is None  # no approved reply yet: nothing to publish
    assert published == []
    assert desk.workflow.question(q.id).status == "drafted"
    desk.workflow.approve(desk.doctor, q.id, "reply", version=1)
    assert [(p.reply, p.explainer) for p in published] == [(v1.reply, v1.explainer)]
    assert [(a.part, a.approved_by) for a in desk.workflow.approvals(q.id)] == [
        ("explainer", "editor"),
        ("reply", "doctor"),
    ]
    page = desk.workflow.approved_page(q.id)
    assert page is not None
    assert (page.title, page.reply, page.explainer) == (v1.title, v1.reply, v1.explainer)


def test_approving_needs_a_draft_an_existing_version_and_some_text(desk: Desk) -> None:
    q = desk.workflow.add_question(desk.doctor, QUESTION)
    with pytest.raises(InputError, match="has no draft to approve yet"):
        desk.workflow.approve(desk.doctor, q.id, "reply")
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(explainer="   "))
    with pytest.raises(InputError, match=f"question {q.id} has no version 5"):
        desk.workflow.approve(desk.doctor, q.id, "reply", version=5)
    with pytest.raises(InputError, match="version 1 has no explainer to approve"):
        desk.workflow.approve(desk.editor, q.id, "explainer")
    assert desk.workflow.approvals(q.id) == []


def test_a_publish_failure_is_audited_and_the_approval_stands(desk: Desk) -> None:
    calls: list[ApprovedPage] = []

    def broken(page: ApprovedPage) -> str:
        calls.append(page)
        raise BackendUnavailableError("the Chroma server at http://kb:8000 does not answer")

    workflow = desk.reopen(publisher=broken)
    q, _ = drafted(desk)
    approval = workflow.approve(desk.doctor, q.id, "reply")
    assert approval.publish_error == "the Chroma server at http://kb:8000 does not answer"
    assert approval.published is None
    assert len(calls) == 1
    assert workflow.question(q.id).status == "approved"
    assert [a.id for a in workflow.approvals(q.id)] == [approval.id]
    failed = workflow.audit(question_id=q.id)[-1]
    assert (failed.action, failed.actor) == ("publish.failed", "doctor")
    assert failed.detail == {"error": approval.publish_error}
    # approving again retries the publishing
    retried = desk.reopen(publisher=lambda page: "drafter-q1").approve(desk.doctor, q.id, "reply")
    assert retried.published == "drafter-q1"
    assert actions(workflow, question_id=q.id)[-3:] == [
        "publish.failed",
        "approve.reply",
        "publish.knowledge_base",
    ]


def test_the_approved_page_exports_with_who_approved_it(desk: Desk) -> None:
    q, v1 = drafted(desk, asker="Anonymous", specialty="Orthopedics")
    assert approved_draft(desk.workflow, q.id) is None
    desk.workflow.save_edit(
        desk.editor, q.id, base=1, title=v1.title, reply=v1.reply, explainer="## Care\nRest [1]."
    )
    desk.workflow.approve(desk.doctor, q.id, "reply", version=1)
    desk.workflow.approve(desk.editor, q.id, "explainer", version=2)
    draft = approved_draft(desk.workflow, q.id)
    assert draft is not None
    assert draft.marker.startswith("Approved by Dr. Ana Ruiz on 20")
    assert (draft.title, draft.reply, draft.explainer) == (v1.title, v1.reply, "## Care\nRest [1].")
    assert (draft.status, draft.error) == ("complete", None)
    md = render(draft, "md")
    assert "Approved by Dr. Ana Ruiz" in md
    assert "## Doctor's reply" in md
    assert "### Care" in md  # the explainer's sections sit under More Info
    assert "DRAFT" not in md
    html = render(draft, "html")
    assert "Approved by Dr. Ana Ruiz" in html
    assert "<h2>Doctor's reply</h2>" in html


# --- ratings ------------------------------------------------------------------------------------


def test_a_reviewer_rates_a_version_and_bad_ids_are_clear_errors(desk: Desk) -> None:
    q, v1 = drafted(desk)
    v2 = desk.workflow.save_draft(desk.doctor, q.id, ai_draft(reply="Again."), kind="regenerate")
    rating = desk.workflow.rate(
        desk.reviewer, v1.id, {"accuracy": 4, "tone": 5}, comment="good", other_version_id=v2.id
    )
    assert rating > 0
    event = desk.workflow.audit()[-1]
    assert (event.actor, event.action, event.question_id, event.version_id) == (
        "reviewer",
        "rate",
        q.id,
        v1.id,
    )
    assert event.detail == {"scores": {"accuracy": 4, "tone": 5}}
    with pytest.raises(InputError, match="no draft version with id 999"):
        desk.workflow.rate(desk.reviewer, 999, {"accuracy": 3})
    with pytest.raises(InputError, match="no draft version with id 998"):
        desk.workflow.rate(desk.reviewer, v1.id, {"accuracy": 3}, other_version_id=998)


# --- the audit log ------------------------------------------------------------------------------


def test_every_action_is_audited_with_actor_model_and_prompt_version(desk: Desk) -> None:
    q, _ = drafted(desk)
    desk.workflow.save_draft(
        desk.editor, q.id, ai_draft(reply="New."), kind="regenerate", based_on=1
    )
    desk.workflow.save_edit(desk.editor, q.id, base=2, title="T", reply="Edited.", explainer="E")
    desk.workflow.approve(desk.doctor, q.id, "reply")
    desk.workflow.approve(desk.editor, q.id, "explainer")
    desk.workflow.rate(desk.reviewer, desk.workflow.versions(q.id)[-1].id, {"accuracy": 5})
    log = [
        (e.actor, e.action, e.model, e.prompt_version)
        for e in desk.workflow.audit(question_id=q.id)
    ]
    assert log == [
        ("doctor", "question.add", None, None),
        ("doctor", "draft.create", "fake:scripted", REFS),
        ("editor", "draft.regenerate", "fake:scripted", REFS),
        ("editor", "draft.edit", "fake:scripted", REFS),
        ("doctor", "approve.reply", "fake:scripted", REFS),
        ("editor", "approve.explainer", "fake:scripted", REFS),
        ("reviewer", "rate", None, None),
    ]
    versions = desk.workflow.versions(q.id)
    events = desk.workflow.audit(question_id=q.id)
    assert [e.version_id for e in events[1:4]] == [v.id for v in versions]
    assert events[1].detail == {"number": 1, "based_on": None, "status": "complete", "error": None}
    assert set(PROMPTS.values()) <= set(REFS.replace(",", "").replace("=", " ").split())


def test_the_audit_log_filters_by_time_and_question(desk: Desk) -> None:
    first = desk.workflow.add_question(desk.doctor, "First question about eczema.")
    everything = desk.workflow.audit()
    cut = everything[-1].at + timedelta(microseconds=1)
    second = desk.workflow.add_question(desk.editor, "Second question about acne.")
    assert [e.question_id for e in desk.workflow.audit(since=cut)] == [second.id]
    assert [e.question_id for e in desk.workflow.audit(question_id=first.id)] == [first.id]
    assert desk.workflow.audit(since=cut + timedelta(days=1)) == []
    assert [e.to_json()["at"][-1] for e in everything] == ["Z"] * len(everything)
    json.dumps([e.to_json() for e in desk.workflow.audit()])
