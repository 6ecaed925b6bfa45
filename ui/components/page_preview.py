"""The question page's Preview & export tab: the page as it will be published, and its files."""

from __future__ import annotations

import streamlit as st

from drafter.drafting.page import page_markdown
from drafter.workflow.export import approved_draft, render, version_draft
from ui.components.open_question import OpenQuestion
from ui.components.plain import md


def page_preview(opened: OpenQuestion) -> None:
    approved = approved_draft(opened.workflow, opened.id)
    if approved is not None:
        st.success(md(approved.marker))
        markdown, html = render(approved, "md"), render(approved, "html")
        a, b = st.columns(2)
        a.download_button(
            "Download HTML", html, f"question-{opened.id}.html", "text/html", key="dl_html"
        )
        b.download_button(
            "Download Markdown", markdown, f"question-{opened.id}.md", "text/markdown", key="dl_md"
        )
        st.markdown(page_markdown(approved))
    elif opened.current is not None:
        st.info("Not approved yet: this is the draft as the page would show it.")
        st.markdown(page_markdown(version_draft(opened.question, opened.current)))
    else:
        st.info("Nothing to preview yet: draft first.")
