"""Approved and A/B-ready questions that the review and dashboard tests share."""

from __future__ import annotations

from typing import Any

from drafter.drafting.draft import Draft
from drafter.workflow.doctor import Question, Version
from tests.support.workflow_kit import PROMPTS, Desk, ai_draft

OTHER_PROMPTS = {
    "title": "title@v1#aaaa",
    "reply": "short_reply@v1#dd",
    "explainer": "explainer@v1#e",
}


FULL = {"consensus": 3, "reasoning": 3, "omission": 2, "harm_extent": 3, "harm_likelihood": 3,
        "empathy": 4, "readability": 5, "citations": 2}  # fmt: skip


def approved(
    desk: Desk,
    text: str,
    final_reply: str | None = None,
    *,
    specialty: str = "Orthopedics",
    reply: str = "Hello, rest the knee for a week and ice it twice a day [1].",
    draft: Draft | None = None,
    approve: bool = True,
) -> Question:
    """A question whose AI draft (version 1) is approved as is, or edited to `final_reply`."""
    q = desk.workflow.add_question(desk.doctor, text, specialty=specialty)
    v1 = desk.workflow.save_draft(desk.doctor, q.id, draft or ai_draft(text, reply=reply))
    if final_reply is not None:
        desk.workflow.save_edit(
            desk.doctor, q.id, base=1, title=v1.title, reply=final_reply, explainer=v1.explainer
        )
    if approve:
        desk.workflow.approve(desk.doctor, q.id, "reply")
    return desk.workflow.question(q.id)


def drafted_with(prompts: dict[str, str], model: str = "fake:scripted", **kw: Any) -> Draft:
    draft = ai_draft(**kw)
    draft.prompt_versions, draft.model = dict(prompts), model
    return draft


def ab_question(desk: Desk) -> tuple[Question, list[Version]]:
    """Drafts of one question: v1 and v2 the same setup, v3 other prompts, v4 another model with
    an instruction, v5 an edit, v6 another model cut short by an error."""
    wf, doc = desk.workflow, desk.doctor
    q = wf.add_question(doc, "Why do my shins ache when I run?")
    wf.save_draft(doc, q.id, drafted_with(PROMPTS, reply="First draft [1]."))
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, reply="Same setup again [1]."), kind="regenerate"
    )
    wf.save_draft(
        doc, q.id, drafted_with(OTHER_PROMPTS, reply="Older prompt [1]."), kind="regenerate"
    )
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, "big-model", reply="Shorter [1]."), kind="regenerate",
        instruction="shorter",
    )  # fmt: skip
    wf.save_edit(doc, q.id, base=4, title="T", reply="Edited.", explainer="E")
    wf.save_draft(
        doc, q.id, drafted_with(PROMPTS, "cut-model", reply="Half", error="timeout"),
        kind="regenerate",
    )  # fmt: skip
    return q, wf.versions(q.id)
