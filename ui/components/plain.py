"""The one rule for untrusted text in the app: what a patient wrote, stored Q&As and FAQ text, and
model output are shown exactly as written, never rendered as Markdown or HTML (no image is
fetched, no link is live, `:red[...]` is not coloured). Only Drafter's own formatting renders:
labels and headings around the text, and an explainer's sections from its parsed structure.

`md` is for a piece of untrusted text inside Drafter's own Markdown (a caption, a label, an
alert); `plain` shows a block of it; `explainer` shows a generated explainer.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from drafter.core.markup import escape_block
from drafter.core.markup import escape_inline as md
from drafter.drafting.page import explainer_markdown

__all__ = ["explainer", "md", "plain"]


def plain(text: str, where: DeltaGenerator | None = None, *, caption: bool = False) -> None:
    """A block of untrusted text, line breaks kept, in `where` (default: the page)."""
    body = escape_block(text)
    if where is None:
        st.caption(body) if caption else st.markdown(body)
    else:
        where.caption(body) if caption else where.markdown(body)


def explainer(text: str, where: DeltaGenerator | None = None) -> None:
    """A generated explainer: its `## ` sections as headings, every word of its text escaped."""
    body = explainer_markdown(text, level=4)
    st.markdown(body) if where is None else where.markdown(body)
