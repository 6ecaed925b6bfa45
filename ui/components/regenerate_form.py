"""Regenerating a draft with an instruction: a preset or the doctor's own words, for the whole
page or one part of it."""

from __future__ import annotations

import streamlit as st

from drafter.drafting.draft import Part
from drafter.drafting.parts import MAX_INSTRUCTION_CHARS
from ui.components.live_draft import run_draft
from ui.components.open_question import OpenQuestion
from ui.components.widgets import instruction_from

PRESETS = ["shorter", "warmer", "simpler words", "more detail on when to come in"]
PART_LABELS: dict[str, tuple[Part, ...]] = {
    "whole page": ("title", "reply", "explainer"),
    "reply only": ("reply",),
    "More Info only": ("explainer",),
}


def regenerate_form(opened: OpenQuestion) -> None:
    with st.form("regenerate"):
        st.markdown("**Regenerate** with an instruction")
        a, b, c = st.columns([2, 3, 2])
        preset = a.selectbox("Preset", ["none", *PRESETS])
        custom = b.text_input(
            "Or your own words",
            max_chars=MAX_INSTRUCTION_CHARS,
            placeholder="e.g. mention that physiotherapy helps",
        )
        which = c.selectbox("What", list(PART_LABELS))
        if st.form_submit_button("Regenerate"):
            run_draft(opened, PART_LABELS[which], instruction_from(preset, custom))
