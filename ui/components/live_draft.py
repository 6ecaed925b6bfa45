"""Drafting from the question page: the model's text streams into the page, then it is saved as
a version and the page reloads with it in the edit boxes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.drafting.draft import Part
from drafter.workflow.drafting_session import ALL_PARTS, draft_version
from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import explainer, md, plain
from ui.services import get_llm, get_retriever, get_settings, get_triager

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.elements.lib.mutable_status_container import StatusContainer


class LiveText:
    """Shows each part as the model writes it."""

    def __init__(self, status: StatusContainer) -> None:
        self.status = status
        self.text: dict[str, str] = {}
        self.boxes: dict[str, DeltaGenerator] = {part: st.empty() for part in ALL_PARTS}

    def on_stage(self, stage: str) -> None:
        self.status.update(label=f"Drafting: {stage}…")

    def on_token(self, part: str, text: str) -> None:
        self.text[part] = self.text.get(part, "") + text
        shown = self.text[part]
        box = self.boxes.get(part)
        if box is not None:
            if part == "title":
                box.markdown(f"### {md(shown)}")
            elif part == "explainer":
                explainer(shown, box)
            else:
                plain(shown, box)


def run_draft(opened: OpenQuestion, parts: tuple[Part, ...], instruction: str | None) -> None:
    """Draft (or regenerate) and save what came out, even a draft cut short by the backend."""
    status = st.status("Drafting…", expanded=True)
    with status:
        live = LiveText(status)
        try:
            drafted = draft_version(
                opened.workflow,
                opened.user,
                opened.question,
                opened.current,
                retriever=get_retriever(),
                llm=get_llm(),
                settings=get_settings(),
                listener=live,
                parts=parts,
                instruction=instruction,
                triage=get_triager(),
            )
        except DrafterError as exc:
            status.update(label="Drafting failed", state="error")
            st.error(f"{md(str(exc))}. Nothing was lost: your saved versions are unchanged.")
            return
    draft, saved = drafted.draft, drafted.version
    state = st.session_state
    state[opened.keys.load] = saved.number  # the boxes are filled before they are drawn next run
    if draft.error:
        state[FLASH] = (
            "error",
            f"The model stopped: {md(draft.error)}. What it wrote so far is saved as version "
            f"{saved.number}; try again when the model is back.",
        )
    else:
        state[FLASH] = ("success", f"Draft saved as version {saved.number} ({draft.status}).")
    st.rerun()
