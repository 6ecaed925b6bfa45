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


LABELS = {"title": "Title", "reply": "Short reply", "explainer": "More Info"}


class LiveText:
    """Shows each part as the model writes it, in the page where the draft will stand (not in
    the status box, which only names the stage). A retry, or a More Info assembled from the
    sources, replaces what its part showed before: the page shows the text that will be kept."""

    def __init__(self, status: StatusContainer) -> None:
        self.status = status
        self.text: dict[str, str] = {}
        self.boxes: dict[str, DeltaGenerator] = {part: st.empty() for part in ALL_PARTS}

    def on_stage(self, stage: str) -> None:
        self.status.update(label=f"Drafting: {stage}…")
        part, _, why = stage.partition(" (")
        if why and part in self.text:  # "reply (retry: ...)", "explainer (assembled ...)"
            self.text[part] = ""

    def on_token(self, part: str, text: str) -> None:
        self.text[part] = self.text.get(part, "") + text
        shown = self.text[part]
        box = self.boxes.get(part)
        if box is None:
            return
        where = box.container()
        if part == "title":
            where.markdown(f"### {md(shown)}")
            return
        where.caption(f"{LABELS[part]} · being written")
        if part == "explainer":
            explainer(shown, where)
        else:
            plain(shown, where)


def run_draft(opened: OpenQuestion, parts: tuple[Part, ...], instruction: str | None) -> None:
    """Draft (or regenerate) and save what came out, even a draft cut short by the backend."""
    status = st.status("Drafting…", expanded=False)
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
