"""The question page's side of the checked view: the shown version's reply and More Info checked
against the sources that version was drafted from; Remove saves the edit boxes without it."""

from __future__ import annotations

from functools import partial

import streamlit as st

from drafter.core.question import PatientQuestion
from drafter.drafting.evidence import SentenceCheck
from drafter.workflow.doctor import Version
from ui.components.checked_view import CheckedDoc, check_saved, cut_from_box
from ui.components.open_question import FLASH, OpenQuestion


def question_check(opened: OpenQuestion, current: Version) -> CheckedDoc:
    question = opened.question
    return CheckedDoc(
        scope="",
        doc_id=opened.id,
        number=current.number,
        checks=lambda: check_saved(
            {"reply": current.reply, "explainer": current.explainer},
            PatientQuestion.of(question),
            current.details,
            flagged=bool(question.red_flags),
        ),
        remove=partial(_remove, opened) if opened.user.can("edit") else None,
    )


def _remove(opened: OpenQuestion, check: SentenceCheck) -> None:
    """Save the edit boxes' text without the sentence as a new version, and show it."""
    state, keys = st.session_state, opened.keys
    box = keys.reply if check.part == "reply" else keys.explainer
    if cut_from_box(box, check, flash_key=FLASH):
        opened.save_edit()
        state[keys.load] = state[keys.base]
