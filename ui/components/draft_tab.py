"""The question page's Draft tab: draft, edit, the sentence check, approve and regenerate on the
left, the similar answers on the right."""

from __future__ import annotations

import streamlit as st

from drafter.workflow.drafting_session import ALL_PARTS
from ui.components.approve_buttons import approve_buttons
from ui.components.checked_view import checked_view
from ui.components.draft_editor import draft_editor
from ui.components.live_draft import run_draft
from ui.components.open_question import OpenQuestion
from ui.components.question_check import question_check
from ui.components.regenerate_form import regenerate_form
from ui.components.similar_answers import similar_answers


def _no_draft_yet(opened: OpenQuestion) -> None:
    note = st.empty()
    with note.container():
        st.info(
            "No draft yet. **Draft** writes a title, a short reply and a More Info article "
            "from the similar answers; you then edit and approve."
        )
        if not opened.user.can("draft"):
            st.caption(f"A {opened.user.role} cannot draft; a doctor or an editor can.")
            return
        clicked = st.button("Draft", type="primary", key="draft")
    if clicked:
        note.empty()  # the draft streams in where this note and the button stood
        run_draft(opened, ALL_PARTS, None)


def draft_tab(opened: OpenQuestion) -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        if opened.current is None:
            _no_draft_yet(opened)
        else:
            draft_editor(opened, opened.current)
            checked = checked_view(question_check(opened, opened.current))
            approve_buttons(opened, opened.current, checked)
            if opened.user.can("draft"):
                regenerate_form(opened)
    with right:
        similar_answers(opened)
