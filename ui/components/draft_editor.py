"""The version the doctor is working on: what the checks found, the edit boxes, the sources."""

from __future__ import annotations

import streamlit as st

from drafter.workflow.doctor import Version
from ui.components.open_question import OpenQuestion
from ui.components.plain import md, plain


def draft_editor(opened: OpenQuestion, current: Version) -> None:
    keys, user = opened.keys, opened.user
    st.caption(
        f"Version {current.number} of {len(opened.versions)} · {current.kind} by "
        f"{md(opened.workflow.display_name(current.author))} · "
        f"{current.created_at:%Y-%m-%d %H:%M} UTC · model {md(current.model or '-')} · "
        "DRAFT until approved"
    )
    details = current.details
    if details.get("explainer_origin") == "assembled":
        st.info(
            "The More Info was assembled from the sources, sentence by sentence, each cited "
            "(the bundled model's default, DRAFTER_EXPLAINER_MODE=auto; or the model's own "
            "text failed its checks)."
        )
    for problem in details.get("problems", []):
        st.warning(f"Check: {md(problem)}")
    if details.get("error"):
        st.error(f"This draft was cut short: {md(details['error'])}")
    for issue in details.get("citation_issues", []):
        st.warning(f"Citation: {md(issue['where'])}: {md(issue['detail'])}")
    for redaction in details.get("redactions", []):
        st.caption(
            f"Sent to the model without the {md(redaction['kind'])} "
            f"“{md(redaction['original'])}” (as {md(redaction['replacement'])})."
        )
    editable, save = user.can("edit"), opened.save_edit
    st.text_input("Title", key=keys.title, on_change=save, disabled=not editable)
    st.text_area("Short reply", key=keys.reply, height=200, on_change=save, disabled=not editable)
    st.text_area(
        "More Info (Markdown)",
        key=keys.explainer,
        height=420,
        on_change=save,
        disabled=not editable,
    )
    sources = details.get("sources", [])
    with st.expander(f"Sources the draft may cite ({len(sources)})"):
        for source in sources:
            st.markdown(f"**\\[{source['n']}\\] {md(source['title'])}** ({md(source['kind'])})")
            plain(source["excerpt"], caption=True)
    if editable:
        st.button("Save", key="save", on_click=save, help="Leaving a box saves too.")
