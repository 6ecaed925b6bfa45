"""The question's triage findings, each with the patient's words, its layer and its current verdict,
and the doctor's Confirm / Dismiss form. A dismissed finding stays on the page, marked."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.finding_reviews import (
    MAX_REASON_CHARS,
    FindingReview,
    current_verdicts,
    finding_category,
    finding_words,
)
from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import md

URGENCY = {"emergency": "emergency: now", "same_day": "same day", "routine": "routine"}


def finding_html(text: str, finding: dict[str, Any], verdict: str) -> str:
    """One finding as inert HTML: everything from the patient or a doctor is escaped."""
    words = (
        " … ".join(f"<mark>{html.escape(w)}</mark>" for w in finding_words(text, finding))
        or "(no words stored)"
    )
    stored = str(finding.get("urgency") or "emergency")  # findings stored before urgencies were
    urgency = URGENCY.get(stored, stored)
    head = (
        f"<b>{html.escape(str(finding.get('label') or finding_category(finding)))}</b> · "
        f"{html.escape(urgency)} · found by {html.escape(str(finding.get('layer', 'rules')))}"
    )
    return (
        f"<div class='finding'><div>{head}</div><div>The patient wrote: {words}</div>"
        f"<div class='verdict'>{html.escape(verdict)}</div></div>"
    )


def verdict_line(review: FindingReview, by: str) -> str:
    """'Dismissed by Dr. X on …: reason' (plain text; the caller escapes it)."""
    what = "Confirmed" if review.verdict == "confirmed" else "Dismissed"
    reason = f": {review.reason}" if review.reason else ""
    return f"{what} by {by} on {review.created_at:%Y-%m-%d %H:%M} UTC{reason}"


def _review_form(opened: OpenQuestion, category: str, label: str) -> None:
    key = f"finding-{opened.id}-{category}"
    # No Enter-to-submit: Enter in the reason box would otherwise press Confirm.
    with st.form(key, enter_to_submit=False, border=False):
        reason = st.text_input(
            "Reason (a dismissal needs one)",
            max_chars=MAX_REASON_CHARS,
            key=f"{key}-reason",
            placeholder="e.g. the pain was last year; now resolved",
        )
        confirm, dismiss = st.columns(2)
        verdict = None
        if confirm.form_submit_button("Confirm", key=f"{key}-confirm"):
            verdict = "confirmed"
        if dismiss.form_submit_button("Dismiss", key=f"{key}-dismiss"):
            verdict = "dismissed"
    if verdict is None:
        return
    try:
        opened.workflow.review_finding(opened.user, opened.id, category, verdict, reason)
    except DrafterError as exc:
        st.error(f"Not saved: {md(str(exc))}")
        return
    st.session_state.pop(f"{key}-reason", None)
    st.session_state[FLASH] = ("success", f"{label}: {verdict}.")
    st.rerun()


def findings_review(opened: OpenQuestion) -> None:
    """Every finding of the question, the doctor's verdict on it, and (for doctors) the form."""
    flags = opened.question.red_flags
    if not flags:
        return
    workflow = opened.workflow
    current = current_verdicts(workflow.finding_reviews(opened.id))
    st.subheader("Triage findings")
    by_category: dict[str, dict[str, Any]] = {}
    for flag in flags:  # one card (and one form key) per category, even in old stored findings
        by_category.setdefault(finding_category(flag), flag)
    for category, finding in by_category.items():
        review = current.get(category)
        verdict = (
            verdict_line(review, workflow.display_name(review.reviewed_by))
            if review
            else "Not reviewed yet."
        )
        with st.container(border=True):
            st.html(finding_html(opened.question.text, finding, verdict))
            if opened.user.can("review_finding"):
                _review_form(opened, category, str(finding.get("label") or category))
    if not opened.user.can("review_finding"):
        st.caption("A doctor confirms or dismisses each finding.")
