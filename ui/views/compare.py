"""Compare & rate: the AI draft against the approved final (word diff, edit distance), and
blind A/B of two drafts from different prompt versions or models; reviewers rate on the rubric."""

from __future__ import annotations

import streamlit as st

from drafter.review import pairs as review
from ui.components.blind_compare import blind_compare
from ui.components.final_compare import final_compare
from ui.services import get_workflow, signed_in

FINAL, AB = "AI draft vs approved final", "Blind A/B"

user = signed_in()
workflow = get_workflow()
st.title("Compare & rate")
mode = st.radio("Comparison", [FINAL, AB], horizontal=True, key="compare_mode")
mine = {
    (r.version_id, r.other_version_id) for r in review.ratings(workflow, reviewer=user.username)
}
if not user.can("rate"):
    st.info("You can look at the comparisons; only reviewers rate them.")

if mode == FINAL:
    final_compare(workflow, user, mine)
else:
    blind_compare(workflow, user, mine)
