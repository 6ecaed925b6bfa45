"""Drafter: find what the knowledge base already says about a patient's question."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.errors import DrafterError  # noqa: E402 - after the path fix above
from drafter.models import AGE_GROUPS, SEXES, Filters, Hit  # noqa: E402
from ui.services import get_retriever, get_settings  # noqa: E402

st.set_page_config(page_title="Drafter", page_icon="🩺", layout="wide")
st.title("Drafter")
st.caption("Similar past answers and related FAQ for a patient's question. Nothing is sent to "
           "a patient without a doctor's approval.")  # fmt: skip

SPECIALTIES = [
    "Cardiology", "Dermatology", "Gastroenterology", "Neurology", "Obstetrics and Gynecology",
    "Orthopedics", "Otolaryngology", "Pediatrics", "Psychiatry",
]  # fmt: skip


def show_qa(hit: Hit) -> None:
    meta = hit.metadata
    with st.container(border=True):
        st.markdown(f"**{hit.title}**")
        st.caption(
            f"{meta.get('specialty', '-')} · {meta.get('doctor', '')} · score {hit.score:.3f} · "
            f"{hit.why}"
        )
        st.write(hit.excerpt(300))
        with st.expander("Doctor's reply"):
            st.write(meta.get("answer", ""))
        if hit.duplicates:
            st.caption(f"Also asked as: {', '.join(hit.duplicates)}")


def show_faq(hit: Hit) -> None:
    with st.expander(f"{hit.title} ({hit.specialty or 'general'}) · score {hit.score:.3f}"):
        st.caption(hit.why)
        st.markdown(hit.text)


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
    st.error(str(exc))
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
