"""Running an editor's action on the More Info queue; what happened is shown on the next run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.explainers import Approval
from ui.components.plain import md

FLASH = "xq_flash"


def act(action: Callable[[], Any], done: Callable[[Any], tuple[str, str]]) -> None:
    """Run `action`; `done` turns its result into the (kind, message) the next run shows."""
    try:
        st.session_state[FLASH] = done(action())
    except DrafterError as exc:
        st.session_state[FLASH] = ("error", md(str(exc)))


def approved(approval: Approval) -> tuple[str, str]:
    if approval.publish_error:
        return "warning", (
            f"Approved, but not yet in the knowledge base: {md(approval.publish_error)}. "
            "Approve again to retry."
        )
    return "success", f"{len(approval.approved)} approved and added to the knowledge base."
