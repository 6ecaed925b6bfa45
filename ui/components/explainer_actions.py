"""Running an editor's action on the More Info queue (what happened is shown on the next run), and
which versions this session opened (only those can be ticked as read)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.explainers import Approval
from ui.components.plain import md

FLASH = "xq_flash"
OPENED = "xq_opened"  # (item id, version number) pairs whose item page this session showed


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


def mark_opened(item_id: int, number: int) -> None:
    """Remember that this session showed version `number` of the item on its own page."""
    st.session_state.setdefault(OPENED, set()).add((item_id, number))


def was_opened(item_id: int, number: int) -> bool:
    return (item_id, number) in st.session_state.get(OPENED, set())
