"""Approving the reply (doctors) or the More Info (editors) of the version in the edit boxes."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.doctor import Version
from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import md


def approve_buttons(opened: OpenQuestion, current: Version) -> None:
    user, workflow, state = opened.user, opened.workflow, st.session_state
    buttons = st.columns(2)
    if user.can("approve_reply") and buttons[0].button(
        "Approve reply", type="primary", key="approve_reply"
    ):
        try:
            approval = workflow.approve(user, opened.id, "reply", version=current.number)
        except DrafterError as exc:
            st.error(md(str(exc)))
        else:
            note = (
                f" Added to the knowledge base as {md(approval.published)}."
                if approval.published
                else f" Not yet in the knowledge base: {md(approval.publish_error or '')}."
            )
            state[FLASH] = ("success", f"Reply approved (version {current.number})." + note)
            st.rerun()
    if user.can("approve_explainer") and buttons[1].button(
        "Approve More Info", type="primary", key="approve_explainer"
    ):
        try:
            workflow.approve(user, opened.id, "explainer", version=current.number)
        except DrafterError as exc:
            st.error(md(str(exc)))
        else:
            state[FLASH] = ("success", f"More Info approved (version {current.number}).")
            st.rerun()
