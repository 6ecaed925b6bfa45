"""Search: what the knowledge base already says about a question (approved answers included)."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.records import AGE_GROUPS, SEXES, Filters
from ui.components.plain import md
from ui.components.widgets import SPECIALTIES, show_faq, show_qa
from ui.services import get_retriever, get_settings, signed_in

signed_in()
st.title("Search")
st.caption("Similar past answers and related FAQ for a patient's question.")

with st.form("question", clear_on_submit=False):
    question = st.text_area(
        "Patient question", height=160, placeholder="Paste or type what the patient asked…"
    )
    c1, c2, c3 = st.columns(3)
    age = c1.selectbox("Age group", ["any", *AGE_GROUPS])
    sex = c2.selectbox("Sex", ["any", *SEXES])
    specialty = c3.selectbox("Specialty", ["any", *SPECIALTIES])
    submitted = st.form_submit_button("Find similar answers", type="primary")

if not submitted:
    st.info("Type a question and press **Find similar answers** (Ctrl+Enter submits the form).")
    st.stop()

try:
    filters = Filters(
        specialty=None if specialty == "any" else specialty,
        age_group=None if age == "any" else age,
        sex=None if sex == "any" else sex,
    )
    settings = get_settings()
    with st.spinner("Searching…"):
        result = get_retriever().page(
            question, filters=filters, k=settings.similar_k, m=settings.faq_k
        )
except DrafterError as exc:
    st.error(md(str(exc)))
    st.stop()

left, right = st.columns([3, 2])
with left:
    st.subheader("Similar Q&A")
    if not result.similar_qa:
        st.info("No past question matches these filters. Try 'any' for age group or sex.")
    for hit in result.similar_qa:
        show_qa(hit)
with right:
    st.subheader("Related FAQ")
    for hit in result.related_faq:
        show_faq(hit)
st.caption(f"Searched in {result.seconds * 1000:.0f} ms")
