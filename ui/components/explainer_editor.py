"""An editor's tools for one queued explainer: the edit box (each save is a version), approve,
reject with a reason, regenerate with an instruction."""

from __future__ import annotations

import streamlit as st

from drafter.drafting.evidence import SentenceCheck
from drafter.drafting.parts import MAX_INSTRUCTION_CHARS
from drafter.jobs.explain import regenerate
from drafter.workflow.accounts import User
from drafter.workflow.explainers import ExplainerItem, ExplainerQueue
from ui.components.checked_view import cut_from_box
from ui.components.explainer_actions import FLASH, act, approved
from ui.components.plain import explainer, md
from ui.components.widgets import autosave, instruction_from
from ui.services import get_llm, get_retriever, get_settings

PRESETS = ["shorter", "simpler words", "more on when to see a doctor"]


def item_keys(item: ExplainerItem) -> tuple[str, str, str]:
    """The session-state keys of the item's box, the version it started from, and a reload."""
    return f"xq_text-{item.id}", f"xq_base-{item.id}", f"xq_load-{item.id}"


def save_box(queue: ExplainerQueue, user: User, item: ExplainerItem) -> None:
    """Save the box's text as a new version made from the one it started from."""
    state = st.session_state
    text_key, base_key, _ = item_keys(item)
    autosave(
        lambda: queue.edit(user, item.id, state[text_key], base=state[base_key]),
        base_key=base_key,
        flash_key=FLASH,
        conflict_hint="Both versions are in the history.",
        where="the box",
    )


def remove_sentence(
    queue: ExplainerQueue, user: User, item: ExplainerItem, check: SentenceCheck
) -> None:
    """The checked view's Remove: save the box without the sentence, and show that version."""
    text_key, _, load_key = item_keys(item)
    if cut_from_box(text_key, check, flash_key=FLASH):
        save_box(queue, user, item)
        st.session_state[load_key] = True


def explainer_editor(queue: ExplainerQueue, user: User, item: ExplainerItem) -> None:
    state = st.session_state
    text_key, base_key, load_key = item_keys(item)

    def save() -> None:
        save_box(queue, user, item)

    st.text_area("More Info (Markdown)", key=text_key, height=380, on_change=save)
    a, b = st.columns(2)
    a.button("Save", key="xq_save", on_click=save, help="Leaving the box saves too.")
    if b.button("Approve", type="primary", key="xq_approve"):
        act(lambda: queue.approve(user, item.id, version=state[base_key]), approved)
        st.rerun()
    with st.expander("Preview"):
        explainer(state[text_key])
    reason = st.text_input("Reason for rejecting", key="xq_reason", max_chars=500)
    if st.button("Reject", key="xq_reject"):
        act(
            lambda: queue.reject(user, item.id, reason, version=state[base_key]),
            lambda d: ("success", f"Version {d.version_number} rejected: {md(d.reason)}"),
        )
        st.rerun()
    a, b = st.columns([1, 2])
    preset = a.selectbox("Regenerate: preset", ["none", *PRESETS], key="xq_preset")
    custom = b.text_input(
        "Or your own words", key="xq_instruction", max_chars=MAX_INSTRUCTION_CHARS
    )
    if st.button("Regenerate", key="xq_regenerate"):
        with st.spinner("Writing a new explainer…"):
            act(
                lambda: regenerate(
                    queue,
                    user,
                    item.id,
                    retriever=get_retriever(),
                    llm=get_llm(),
                    settings=get_settings(),
                    instruction=instruction_from(preset, custom),
                ),
                lambda v: ("success", f"Regenerated as version {v.number}."),
            )
        state[load_key] = True
        st.rerun()
