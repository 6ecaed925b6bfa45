"""More Info queue: explainers from a batch (here or `drafter explain`) wait for an editor to read
with their sentence check, edit (each save is a version), approve, reject with a reason,
regenerate, or approve in bulk after opening each."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from ui.components.explainer_actions import FLASH
from ui.components.explainer_batch import explainer_batch
from ui.components.explainer_item import explainer_item
from ui.components.explainer_list import explainer_list
from ui.components.plain import md
from ui.components.widgets import show_flash
from ui.services import get_explainer_queue, signed_in

user = signed_in()
st.title("More Info queue")
if not st.query_params.get("item"):
    explainer_batch(user)  # before the counts, so they include what a batch just queued
try:
    queue = get_explainer_queue()
    counts = queue.counts()
except DrafterError as exc:
    st.error(md(str(exc)))
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Waiting for review", counts["pending"])
c2.metric("Approved", counts["approved"])
c3.metric("Rejected", counts["rejected"])
if not sum(counts.values()):
    st.info(
        "No generated explainers yet. Generate them in batches under **Generate explainers** "
        "(editors and admins) or from the command line, e.g. "
        "`drafter explain --missing-only --specialty Cardiology --user NAME` (see "
        "`drafter explain --help`); they appear here for review."
    )
    st.stop()
editor = user.can("approve_explainer")
if not editor:
    st.caption(f"Read only: a {user.role} reads the queue; editors edit, approve and reject.")
show_flash(FLASH)

if opened := st.query_params.get("item"):
    try:
        explainer_item(queue, user, queue.item(int(opened)), editor)
    except (DrafterError, ValueError) as exc:
        st.error(md(str(exc)))
else:
    explainer_list(queue, user, editor)
