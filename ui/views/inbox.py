"""Inbox: pending questions, red-flagged first then longest waiting; a form for a new one."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.records import AGE_GROUPS, SEXES
from drafter.workflow.doctor import Question
from ui.components.plain import md, plain
from ui.components.widgets import SPECIALTIES
from ui.services import get_workflow, signed_in

user = signed_in()
st.title("Inbox")

try:
    workflow = get_workflow()
    counts = workflow.counts()
except DrafterError as exc:
    st.error(md(str(exc)))
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("New", counts["new"])
c2.metric("Drafted, not approved", counts["drafted"])
c3.metric("Approved", counts["approved"])


def open_question(question_id: int) -> None:
    st.session_state["question_id"] = question_id
    st.switch_page("views/question.py", query_params={"q": str(question_id)})


def add_question() -> None:
    state = st.session_state
    try:
        question = workflow.add_question(
            user,
            state["new_text"],
            age_group=None if state["new_age"] == "not given" else state["new_age"],
            sex=None if state["new_sex"] == "not given" else state["new_sex"],
            specialty=None if state["new_specialty"] == "not given" else state["new_specialty"],
            asker=state["new_asker"],
        )
    except DrafterError as exc:
        state["new_error"] = str(exc)
        return
    state["new_added"] = question.id
    state["new_text"] = ""
    state["new_asker"] = ""


if user.can("add_question"):
    with (
        st.expander(":material/add: New question", expanded=counts["new"] + counts["drafted"] == 0),
        st.form("new_question", clear_on_submit=False),
    ):
        st.text_area(
            "What the patient asked",
            key="new_text",
            height=140,
            placeholder="Paste or type the question…",
        )
        a, b, c, d = st.columns(4)
        a.selectbox("Age group", ["not given", *AGE_GROUPS], key="new_age")
        b.selectbox("Sex", ["not given", *SEXES], key="new_sex")
        c.selectbox("Specialty", ["not given", *SPECIALTIES], key="new_specialty")
        d.text_input("Asker signs as", key="new_asker", placeholder="Anonymous")
        st.form_submit_button("Add to inbox", type="primary", on_click=add_question)
    if error := st.session_state.pop("new_error", None):
        st.error(md(error))
    if added := st.session_state.pop("new_added", None):
        st.success(f"Question #{added} added.")
        if st.button(f"Open question #{added}", key="open_added"):
            open_question(added)

f1, f2, f3, f4 = st.columns([3, 2, 2, 2])
search = f1.text_input("Search", placeholder="words in the question or asker")
status = f2.selectbox("Status", ["pending", "new", "drafted", "approved", "all"])
specialty = f3.selectbox("Specialty", ["all", *SPECIALTIES])
flagged = f4.toggle("Red flags only")

found: list[Question] = workflow.questions(
    status=None if status in {"pending", "all"} else status,
    search=search,
    specialty=None if specialty == "all" else specialty,
    flagged_only=flagged,
)
if status == "pending":
    found = [q for q in found if q.status != "approved"]

if not found:
    if counts["new"] + counts["drafted"] + counts["approved"] == 0:
        st.info(
            "The inbox is empty. Add a question with **New question** above, or import many "
            "with `drafter questions add --file questions.jsonl --user NAME`."
        )
    else:
        st.info("No question matches these filters.")
    st.stop()

st.caption(f"{len(found)} question(s) · red flags first, then the longest waiting")
for q in found:
    with st.container(border=True):
        left, right = st.columns([6, 1])
        labels = md(", ".join(f["label"] for f in q.red_flags))
        flag = f":red[**:material/emergency: {labels}**] · " if q.red_flags else ""
        left.markdown(
            f"**#{q.id}** · {flag}{md(q.specialty or 'specialty not set')} · {md(q.asker_line)} · "
            f"waiting {q.waiting()} · *{q.status}*"
        )
        text = " ".join(q.text.split())
        plain(text[:280] + ("…" if len(text) > 280 else ""), left)
        if right.button("Open", key=f"open-{q.id}"):
            open_question(q.id)
