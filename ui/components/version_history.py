"""The question page's History tab: every version, any one of them in full, and the audit log."""

from __future__ import annotations

import streamlit as st

from ui.components.open_question import OpenQuestion
from ui.components.plain import explainer, md, plain


def version_history(opened: OpenQuestion) -> None:
    workflow, versions = opened.workflow, opened.versions
    if not versions:
        st.info("No versions yet.")
    rows = [
        {
            "version": v.number,
            "kind": v.kind,
            "by": workflow.display_name(v.author),
            "at (UTC)": f"{v.created_at:%Y-%m-%d %H:%M:%S}",
            "from": v.based_on,
            "instruction": v.instruction or "",
            "model": v.model or "",
            "conflict with": v.details.get("conflict_with", ""),
        }
        for v in reversed(versions)
    ]
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
        pick = st.selectbox("Show version", [v.number for v in reversed(versions)])
        picked = opened.version(pick)
        st.markdown(f"**{md(picked.title)}**")
        plain(picked.reply)
        with st.expander("More Info of this version"):
            explainer(picked.explainer)
    st.subheader("Audit")
    for event in workflow.audit(question_id=opened.id):
        st.caption(
            f"{event.at:%Y-%m-%d %H:%M:%S} · {md(event.actor)} · {md(event.action)}"
            + (f" · {md(event.model)}" if event.model else "")
        )
