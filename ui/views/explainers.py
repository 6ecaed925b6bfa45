"""More Info queue: explainers from `drafter explain` wait for an editor to read, edit (each save
is a version), approve, reject with a reason, regenerate, or approve in bulk after reading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.drafting.parts import MAX_INSTRUCTION_CHARS
from drafter.jobs.explain import regenerate
from drafter.workflow.explainers import Approval, ExplainerItem
from ui.components.widgets import SPECIALTIES, autosave
from ui.services import (
    get_explainer_queue,
    get_llm,
    get_retriever,
    get_settings,
    signed_in,
)

PRESETS = ["shorter", "simpler words", "more on when to see a doctor"]
SHOWN = 50

user = signed_in()
state = st.session_state
st.title("More Info queue")
try:
    queue = get_explainer_queue()
    counts = queue.counts()
except DrafterError as exc:
    st.error(str(exc))
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Waiting for review", counts["pending"])
c2.metric("Approved", counts["approved"])
c3.metric("Rejected", counts["rejected"])
if not sum(counts.values()):
    st.info(
        "No generated explainers yet. Generate them in batches from the command line, e.g. "
        "`drafter explain --missing-only --specialty Cardiology --user NAME` (see "
        "`drafter explain --help`); they appear here for review."
    )
    st.stop()
editor = user.can("approve_explainer")
if not editor:
    st.caption(f"Read only: a {user.role} reads the queue; editors edit, approve and reject.")
if flash := state.pop("xq_flash", None):
    getattr(st, flash[0])(flash[1])


def act(action: Callable[[], Any], done: Callable[[Any], tuple[str, str]]) -> None:
    """Run an editor's action; what happened is shown on the next run."""
    try:
        state["xq_flash"] = done(action())
    except DrafterError as exc:
        state["xq_flash"] = ("error", str(exc))


def approved(approval: Approval) -> tuple[str, str]:
    if approval.publish_error:
        return "warning", (
            f"Approved, but not yet in the knowledge base: {approval.publish_error}. "
            "Approve again to retry."
        )
    return "success", f"{len(approval.approved)} approved and added to the knowledge base."


def show_item(item: ExplainerItem) -> None:
    text_key, base_key = f"xq_text-{item.id}", f"xq_base-{item.id}"
    versions = queue.versions(item.id)
    if state.pop(f"xq_load-{item.id}", False) or state.get(base_key) is None:
        state[text_key], state[base_key] = item.latest.text, item.latest.number

    def save() -> None:
        autosave(
            lambda: queue.edit(user, item.id, state[text_key], base=state[base_key]),
            base_key=base_key,
            flash_key="xq_flash",
            conflict_hint="Both versions are in the history.",
            where="the box",
        )

    if st.button("Back to the queue", key="xq_back", icon=":material/arrow_back:"):
        del st.query_params["item"]
        st.rerun()
    st.subheader(item.title)
    st.caption(
        f"{item.qa_id} · {item.specialty or 'specialty not set'} · asked {item.asked_date or '-'}"
        f" · {item.doctor or 'doctor unknown'} · *{item.status}*"
    )
    with st.container(border=True):
        st.markdown(f"**The patient asked**\n\n{item.question}")
        st.markdown(f"**{item.doctor or 'The doctor'} answered**\n\n{item.answer}")
    latest = item.latest
    st.caption(
        f"Version {latest.number} of {len(versions)} · {latest.kind} by {latest.author} · "
        f"{latest.created_at:%Y-%m-%d %H:%M} UTC · model {latest.model or '-'}"
    )
    for problem in latest.problems:
        st.warning(f"Check: {problem}")
    if not editor:
        st.markdown(latest.text)
    else:
        st.text_area("More Info (Markdown)", key=text_key, height=380, on_change=save)
        a, b = st.columns(2)
        a.button("Save", key="xq_save", on_click=save, help="Leaving the box saves too.")
        if b.button("Approve", type="primary", key="xq_approve"):
            act(lambda: queue.approve(user, item.id, version=state[base_key]), approved)
            st.rerun()
        with st.expander("Preview"):
            st.markdown(state[text_key])
        reason = st.text_input("Reason for rejecting", key="xq_reason", max_chars=500)
        if st.button("Reject", key="xq_reject"):
            act(
                lambda: queue.reject(user, item.id, reason, version=state[base_key]),
                lambda d: ("success", f"Version {d.version_number} rejected: {d.reason}"),
            )
            st.rerun()
        a, b = st.columns([1, 2])
        preset = a.selectbox("Regenerate: preset", ["none", *PRESETS], key="xq_preset")
        custom = b.text_input(
            "Or your own words", key="xq_instruction", max_chars=MAX_INSTRUCTION_CHARS
        )
        if st.button("Regenerate", key="xq_regenerate"):
            wanted = ", ".join(p for p in (None if preset == "none" else preset, custom) if p)
            with st.spinner("Writing a new explainer…"):
                act(
                    lambda: regenerate(
                        queue,
                        user,
                        item.id,
                        retriever=get_retriever(),
                        llm=get_llm(),
                        settings=get_settings(),
                        instruction=wanted.strip() or None,
                    ),
                    lambda v: ("success", f"Regenerated as version {v.number}."),
                )
            state[f"xq_load-{item.id}"] = True
            st.rerun()
    with st.expander(f"History ({len(versions)} versions)"):
        for v in reversed(versions):
            st.caption(f"v{v.number} {v.kind} by {v.author} {v.created_at:%Y-%m-%d %H:%M}")
        for d in queue.decisions(item.id):
            st.caption(f"{d.decision} v{d.version_number} by {d.decided_by} {d.reason}".strip())


if opened := st.query_params.get("item"):
    try:
        show_item(queue.item(int(opened)))
    except (DrafterError, ValueError) as exc:
        st.error(str(exc))
    st.stop()

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
    st.stop()
st.caption(
    f"{min(len(found), SHOWN)} explainer(s)"
    + (f"; the first {SHOWN} are shown: narrow the filters" if len(found) > SHOWN else "")
    + (" · read each, tick **I have read this**, then approve them together" if editor else "")
)
read: dict[int, int] = {}
for item in found[:SHOWN]:
    with st.container(border=True):
        left, right = st.columns([6, 1])
        checks = f" · {len(item.latest.problems)} failed check(s)" if item.latest.problems else ""
        left.markdown(
            f"**{item.title}** · {item.specialty or '-'} · version {item.latest.number} · "
            f"*{item.status}*{checks}"
        )
        with left.expander("Read the explainer"):
            st.markdown(item.latest.text)
        key = f"xq_read-{item.id}-{item.latest.number}"  # a new version is unread again
        if editor and item.status == "pending" and left.checkbox("I have read this", key=key):
            read[item.id] = item.latest.number
        if right.button("Open", key=f"xq_open-{item.id}"):
            st.query_params["item"] = str(item.id)
            st.rerun()
if editor and st.button(
    f"Approve selected ({len(read)})", key="xq_bulk", type="primary", disabled=not read
):
    act(lambda: queue.approve_many(user, read), approved)
    st.rerun()
