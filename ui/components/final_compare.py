"""Compare & rate, first mode: an AI draft against the text a doctor or editor approved (word
diff, edit distance), rated on the rubric by reviewers."""

from __future__ import annotations

import streamlit as st

from drafter.review import pairs as review
from drafter.review.dashboard import ACCEPT_THRESHOLD, is_accepted
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Part, Workflow
from ui.components.plain import md
from ui.components.review import (
    diff_html,
    diff_legend,
    pick,
    question_header,
    rated_before,
    rating_form,
    rubric_help,
    save_rating,
)

PARTS: dict[str, Part] = {"Short reply": "reply", "More Info": "explainer"}


def final_compare(workflow: Workflow, user: User, mine: set[tuple[int, int | None]]) -> None:
    """`mine` holds the (version, other version) pairs this reviewer has rated."""
    part = PARTS[st.radio("Part", list(PARTS), horizontal=True, key="compare_part")]
    pairs = review.final_pairs(workflow, part)
    if not pairs:
        st.info(
            "Nothing approved yet. When a doctor approves a reply (or an editor a More Info "
            "article), its AI draft and the approved text appear here with the changes marked."
        )
        return
    labels = [f"#{p.question.id} · {p.final.title or p.question.text[:60]}" for p in pairs]
    done = [(p.ai.id, p.final.id) in mine for p in pairs]
    chosen = pick("Approved answer", labels, done, f"pick-{part}")
    pair = pairs[chosen]
    question_header(pair.question)
    ai_words, final_words = pair.word_counts
    a, b, c, d = st.columns(4)
    a.metric("Edit distance", f"{pair.edit_distance} words")
    b.metric("Normalised", f"{pair.normalised_edit_distance:.0%}")
    accepted = is_accepted(pair.normalised_edit_distance)
    c.metric("Accepted", "yes" if accepted else "no", help=f"≤ {ACCEPT_THRESHOLD:.0%} changed")
    d.metric("Words: AI → final", f"{ai_words} → {final_words}")
    diff_legend()
    st.markdown(diff_html(pair.diff()), unsafe_allow_html=True)
    with st.expander("Side by side"):
        left, right = st.columns(2)
        left.markdown(f"**AI draft** · version {pair.ai.number} · {md(pair.ai.model or '-')}")
        left.text(pair.ai_text)
        by = md(workflow.display_name(pair.approval.approved_by))
        right.markdown(f"**Approved** · version {pair.final.number} · {by}")
        right.text(pair.final_text)
    prefix = f"final-{pair.ai.id}-{pair.final.id}"
    if saved := st.session_state.pop(f"{prefix}-saved", None):
        st.success(f"Rating {saved} saved for the AI draft of question #{pair.question.id}.")
    elif done[chosen]:
        rated_before()
    if user.can("rate"):
        st.subheader("Rate the AI draft")
        st.caption("The approved text is the reference: judge what the AI offered the doctor.")
        rubric_help()
        submitted, scores, _, comment = rating_form(prefix, ["AI draft"], prefer=False)
        if submitted:
            save_rating(
                lambda: review.rate_final(workflow, user, pair, scores["AI draft"], comment), prefix
            )
