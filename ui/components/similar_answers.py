"""The question page's side column: the similar past Q&As and related FAQ a draft is built on."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.records import Hit
from drafter.workflow.export import version_draft
from ui.components.open_question import OpenQuestion
from ui.components.plain import md
from ui.components.widgets import show_faq, show_qa
from ui.services import get_retriever, get_settings


def _hits(opened: OpenQuestion) -> tuple[list[Hit], list[Hit]]:
    """The ones the shown version was drafted from, or a fresh search before the first draft."""
    if opened.current is not None:
        shown = version_draft(opened.question, opened.current)
        return shown.similar_qa, shown.related_faq
    try:
        settings = get_settings()
        result = get_retriever().page(opened.question.text, k=settings.similar_k, m=settings.faq_k)
    except DrafterError as exc:
        st.error(f"The knowledge base is unavailable: {md(str(exc))}")
        return [], []
    return result.similar_qa, result.related_faq


def similar_answers(opened: OpenQuestion) -> None:
    st.subheader("Similar Q&A")
    similar, related = _hits(opened)
    if not similar:
        st.info("No similar past question found.")
    for hit in similar:
        show_qa(hit)
    st.subheader("Related FAQ")
    for hit in related:
        show_faq(hit)
