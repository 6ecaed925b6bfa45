"""The question page's drafting without a UI: which version the edit boxes show, and a draft or
a regeneration saved as a new version."""

from __future__ import annotations

from datetime import datetime

import pytest

from drafter.core.errors import BackendUnavailableError, InputError
from drafter.drafting.sentences import strip_citations
from drafter.workflow.doctor import Question, Version
from drafter.workflow.drafting_session import draft_version, version_to_show
from tests.conftest import SampleKb
from tests.support.drafting_kit import EXPLAINER, QUESTION, REPLY, TITLE
from tests.support.fakes import scripted_backend
from tests.support.workflow_kit import Desk


def version(number: int) -> Version:
    return Version(
        id=number,
        question_id=1,
        number=number,
        kind="ai" if number == 1 else "edit",
        based_on=None if number == 1 else number - 1,
        title=f"title {number}",
        reply=f"reply {number}",
        explainer=f"explainer {number}",
        details={},
        model=None,
        prompt_version=None,
        instruction=None,
        author="doctor",
        created_at=datetime(2024, 1, 1),
    )


@pytest.mark.parametrize(
    ("numbers", "shown", "pending", "expected"),
    [
        ([], None, None, None),  # nothing drafted yet
        ([1, 2], None, None, 2),  # just opened: the newest
        ([1, 2], 1, None, None),  # the boxes keep the version they were started from
        ([1, 2], 7, None, 2),  # a version that does not exist: the newest
        ([1, 2, 3], 2, 3, 3),  # a draft just saved is loaded before the boxes are drawn
        ([1, 2], 1, 9, None),  # a pending number that does not exist is ignored
    ],
)
def test_which_version_the_edit_boxes_show(
    numbers: list[int], shown: int | None, pending: int | None, expected: int | None
) -> None:
    chosen = version_to_show([version(n) for n in numbers], shown=shown, pending=pending)
    assert (chosen.number if chosen else None) == expected


def asked(desk: Desk) -> Question:
    return desk.workflow.add_question(
        desk.doctor, QUESTION.text, age_group=QUESTION.age_group, sex=QUESTION.sex
    )


def test_a_first_draft_then_a_reply_only_regeneration_keep_the_other_parts(
    desk: Desk, sample_kb: SampleKb
) -> None:
    question = asked(desk)
    backend, _ = scripted_backend(TITLE, REPLY, EXPLAINER)
    first = draft_version(
        desk.workflow,
        desk.doctor,
        question,
        None,
        retriever=sample_kb.retriever,
        llm=backend,
        settings=sample_kb.settings,
    )
    saved = first.version
    assert (saved.number, saved.kind, saved.based_on) == (1, "ai", None)
    assert (saved.title, saved.reply, saved.explainer) == (TITLE, REPLY, first.draft.explainer)
    assert strip_citations(saved.explainer) == strip_citations(EXPLAINER)  # [n] may be added
    assert first.draft.error is None

    edited = desk.workflow.save_edit(
        desk.doctor, question.id, base=1, title="My title", reply=REPLY, explainer="My notes"
    )
    shorter = "Hello, a small cement leak is common and often harmless [1]. Come in this week."
    backend, _ = scripted_backend(shorter)
    second = draft_version(
        desk.workflow,
        desk.doctor,
        question,
        edited,
        retriever=sample_kb.retriever,
        llm=backend,
        settings=sample_kb.settings,
        parts=("reply",),
        instruction="shorter",
    )
    saved = second.version
    assert (saved.number, saved.kind, saved.based_on, saved.instruction) == (
        3,
        "regenerate",
        2,
        "shorter",
    )
    assert (saved.title, saved.reply, saved.explainer) == ("My title", shorter, "My notes")
    assert [v.number for v in desk.workflow.versions(question.id)] == [1, 2, 3]


def test_a_refused_draft_saves_nothing(desk: Desk, sample_kb: SampleKb) -> None:
    question = asked(desk)
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    with pytest.raises(InputError, match="the instruction is"):
        draft_version(
            desk.workflow,
            desk.doctor,
            question,
            None,
            retriever=sample_kb.retriever,
            llm=backend,
            settings=sample_kb.settings,
            instruction="more detail " * 30,
        )
    assert desk.workflow.versions(question.id) == []
    assert model.sent == []


def test_a_regeneration_the_model_never_started_saves_nothing(
    desk: Desk, sample_kb: SampleKb
) -> None:
    """Issue 11, point 7: a failed regenerate saved an empty newest version."""
    question = asked(desk)
    backend, _ = scripted_backend(TITLE, REPLY, EXPLAINER)
    first = draft_version(
        desk.workflow, desk.doctor, question, None,
        retriever=sample_kb.retriever, llm=backend, settings=sample_kb.settings,
    )  # fmt: skip
    down, _ = scripted_backend("FAIL_AFTER:0:never")
    with pytest.raises(BackendUnavailableError, match="version 1 is unchanged"):
        draft_version(
            desk.workflow, desk.doctor, question, first.version,
            retriever=sample_kb.retriever, llm=down, settings=sample_kb.settings,
            parts=("reply",), instruction="shorter",
        )  # fmt: skip
    assert [v.number for v in desk.workflow.versions(question.id)] == [1]
    cut, _ = scripted_backend("A new title", "FAIL_AFTER:0:never")
    partly = draft_version(
        desk.workflow, desk.doctor, question, first.version,
        retriever=sample_kb.retriever, llm=cut, settings=sample_kb.settings,
    )  # fmt: skip
    saved = partly.version
    assert partly.draft.error is not None
    assert (saved.number, saved.title) == (2, "A new title")
    assert saved.reply == REPLY  # not emptied by the failure
    assert strip_citations(saved.explainer) == strip_citations(EXPLAINER)
