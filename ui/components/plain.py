"""The one rule for untrusted text in the app: what a patient wrote, stored Q&As and FAQ text, and
model output are shown exactly as written, never rendered as Markdown or HTML (no image is
fetched, no link is live, `:red[...]` is not coloured). Only Drafter's own formatting renders:
labels and headings around the text, and an explainer's sections from its parsed structure.

`md` is for a piece of untrusted text inside Drafter's own Markdown (a caption, a label, an
alert); `plain` shows a block of it; `explainer` shows a generated explainer. `md` and `plain`
also mask the configured secrets (an error from a store or a gateway may quote its URL's password
or the API key), so no page shows one.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from drafter.core.markup import escape_block, escape_inline
from drafter.core.secrets import scrub
from drafter.drafting.page import explainer_markdown

__all__ = ["explainer", "md", "plain"]


def md(text: str) -> str:
    """A piece of untrusted text made inert for Drafter's Markdown, secrets masked."""
    return escape_inline(scrub(text))


def plain(text: str, where: DeltaGenerator | None = None, *, caption: bool = False) -> None:
    """A block of untrusted text, line breaks kept, in `where` (default: the page)."""
    body = escape_block(scrub(text))
    if where is None:
        st.caption(body) if caption else st.markdown(body)
    else:
        where.caption(body) if caption else where.markdown(body)


def explainer(text: str, where: DeltaGenerator | None = None) -> None:
    """A generated explainer: its `## ` sections as headings, every word of its text escaped."""
    body = explainer_markdown(text, level=4)
    st.markdown(body) if where is None else where.markdown(body)
