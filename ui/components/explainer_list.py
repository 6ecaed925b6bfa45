"""The More Info queue's list: filters, the explainers that match with their red marks, and
approving in one go the ones an editor opened and ticked as read."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from drafter.workflow.accounts import User
from drafter.workflow.explainers import ExplainerItem, ExplainerQueue
from ui.components.explainer_actions import act, approved, was_opened
from ui.components.explainer_check import red_marks
from ui.components.plain import explainer, md
from ui.components.widgets import SPECIALTIES

SHOWN = 50


def explainer_list(queue: ExplainerQueue, user: User, editor: bool) -> None:
    f1, f2, f3 = st.columns([2, 2, 3])
    status = f1.selectbox("Status", ["pending", "approved", "rejected", "all"], key="xq_status")
    specialty = f2.selectbox("Specialty", ["all", *SPECIALTIES], key="xq_specialty")
    search = f3.text_input("Search", key="xq_search", placeholder="words in the title or question")
    found = queue.items(
        status=None if status == "all" else status,
        specialty=None if specialty == "all" else specialty,
        search=search,
        limit=SHOWN + 1,
    )
    if not found:
        st.info("No explainer matches these filters.")
        return
    st.caption(
        f"{min(len(found), SHOWN)} explainer(s)"
        + (f"; the first {SHOWN} are shown: narrow the filters" if len(found) > SHOWN else "")
        + (" · open each, tick **I have read this**, then approve them together" if editor else "")
    )
    read: dict[int, int] = {}
    for item in found[:SHOWN]:
        with st.container(border=True):
            left, right = st.columns([6, 1])
            problems = item.latest.problems
            checks = f" · {len(problems)} failed check(s)" if problems else ""
            left.markdown(
                f"**{md(item.title)}** · {md(item.specialty or '-')} · "
                f"version {item.latest.number} · "
                f"*{item.status}*{checks}{_red(item)}"
            )
            with left.expander("Read the explainer"):
                explainer(item.latest.text)
            if editor and item.status == "pending" and _read_box(left, item):
                read[item.id] = item.latest.number
            if right.button("Open", key=f"xq_open-{item.id}"):
                st.query_params["item"] = str(item.id)
                st.rerun()
    if editor and st.button(
        f"Approve selected ({len(read)})", key="xq_bulk", type="primary", disabled=not read
    ):
        act(lambda: queue.approve_many(user, read), approved)
        st.rerun()


def _red(item: ExplainerItem) -> str:
    red = red_marks(item)
    if red is None:
        return " · :orange[sentence check could not run]"
    return f" · :red[**{red} red mark{'' if red == 1 else 's'}**]" if red else ""


def _read_box(where: DeltaGenerator, item: ExplainerItem) -> bool:
    """Ticked, and the item's page showed this version in this session (Streamlit cannot tell
    whether the expander above was opened)."""
    number = item.latest.number
    opened = was_opened(item.id, number)
    ticked = where.checkbox(
        "I have read this",
        key=f"xq_read-{item.id}-{number}",  # a new version is unread again
        disabled=not opened,
        help=None if opened else "Open it first",
    )
    return ticked and opened
