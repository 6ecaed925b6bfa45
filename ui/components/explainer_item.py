"""One queued explainer opened from the More Info queue: the Q&A it explains, its latest
version's sentence check, the editor's tools (or the text, read only), and its history. Showing
it is what lets the list's "I have read this" be ticked for that version."""

from __future__ import annotations

from functools import partial

import streamlit as st

from drafter.workflow.accounts import User
from drafter.workflow.explainers import ExplainerItem, ExplainerQueue
from ui.components.checked_view import checked_view
from ui.components.explainer_actions import mark_opened
from ui.components.explainer_check import explainer_check
from ui.components.explainer_editor import explainer_editor, item_keys, remove_sentence
from ui.components.plain import explainer, md, plain


def explainer_item(queue: ExplainerQueue, user: User, item: ExplainerItem, editor: bool) -> None:
    state = st.session_state
    text_key, base_key, load_key = item_keys(item)
    versions = queue.versions(item.id)
    if state.pop(load_key, False) or state.get(base_key) is None:
        state[text_key], state[base_key] = item.latest.text, item.latest.number
    # an editor's box may hold an older version (someone saved meanwhile): that one is checked
    shown = next((v for v in versions if editor and v.number == state[base_key]), item.latest)
    mark_opened(item.id, shown.number)

    if st.button("Back to the queue", key="xq_back", icon=":material/arrow_back:"):
        del st.query_params["item"]
        st.rerun()
    st.subheader(md(item.title))
    st.caption(
        f"{md(item.qa_id)} · {md(item.specialty or 'specialty not set')} · asked "
        f"{item.asked_date or '-'} · {md(item.doctor or 'doctor unknown')} · *{item.status}*"
    )
    with st.container(border=True):
        st.markdown("**The patient asked**")
        plain(item.question)
        st.markdown(f"**{md(item.doctor or 'The doctor')} answered**")
        plain(item.answer)
    latest = item.latest
    st.caption(
        f"Version {latest.number} of {len(versions)} · {latest.kind} by {md(latest.author)} · "
        f"{latest.created_at:%Y-%m-%d %H:%M} UTC · model {md(latest.model or '-')}"
    )
    for problem in latest.problems:
        st.warning(f"Check: {md(problem)}")
    remove = partial(remove_sentence, queue, user, item) if editor else None
    checked_view(explainer_check(item, shown, remove))
    if not editor:
        explainer(latest.text)
    else:
        explainer_editor(queue, user, item)
    with st.expander(f"History ({len(versions)} versions)"):
        for v in reversed(versions):
            st.caption(f"v{v.number} {v.kind} by {md(v.author)} {v.created_at:%Y-%m-%d %H:%M}")
        for d in queue.decisions(item.id):
            st.caption(
                f"{d.decision} v{d.version_number} by {md(d.decided_by)} {md(d.reason or '')}"
            )
