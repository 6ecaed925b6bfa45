"""The top of the question page: red flags, the question, what the last action did, approvals."""

from __future__ import annotations

import streamlit as st

from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import md
from ui.components.widgets import highlighted, red_flag_banner, show_flash


def question_header(opened: OpenQuestion) -> None:
    question, workflow = opened.question, opened.workflow
    red_flag_banner(question.red_flags)
    st.page_link("views/inbox.py", label="Back to the inbox", icon=":material/arrow_back:")
    st.title(f"Question #{question.id}")
    with st.container(border=True):
        st.html(highlighted(question.text, question.red_flags))
        st.caption(
            f"{md(question.asker_line)} · {md(question.specialty or 'specialty not set')} · "
            f"waiting {question.waiting()} · {question.status}"
        )
    show_flash(FLASH)
    for approval in {a.part: a for a in workflow.approvals(question.id)}.values():
        what = "Reply" if approval.part == "reply" else "More Info"
        by = md(workflow.display_name(approval.approved_by))
        st.caption(
            f":material/verified: {what} of version {approval.version_number} approved by "
            f"{by} on {approval.approved_at:%Y-%m-%d %H:%M} UTC. Approving a later version "
            "replaces it."
        )
