"""One question: its triage findings to confirm or dismiss, similar answers, a live-streamed
draft, edits saved as versions, approval, preview and export in the published page's layout."""

from __future__ import annotations

import streamlit as st

from ui.components.draft_tab import draft_tab
from ui.components.finding_review import findings_review
from ui.components.open_question import chosen_question_id, open_question
from ui.components.page_preview import page_preview
from ui.components.question_header import question_header
from ui.components.version_history import version_history
from ui.services import signed_in

user = signed_in()
opened = open_question(user, chosen_question_id())
question_header(opened)
findings_review(opened)

drafting, preview, history = st.tabs(["Draft", "Preview & export", "History"])
with drafting:
    draft_tab(opened)
with preview:
    page_preview(opened)
with history:
    version_history(opened)
