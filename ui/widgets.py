"""Pieces several pages share: hit cards, the red-flag banner, the specialty list."""

from __future__ import annotations

from typing import Any

import streamlit as st

from drafter.models import Hit

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


def red_flag_banner(flags: list[dict[str, Any]]) -> None:
    """Red flags come first on every page that shows a question."""
    for flag in flags:
        st.error(
            f"**Red flag: {flag['label']}** — the patient wrote “{flag['matched']}”. "
            "The reply must tell them to seek urgent care first.",
            icon=":material/emergency:",
        )
