"""Drafter's app: sign in, then the pages your role uses. Started by `make run` / `drafter ui`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.core.environment import go_offline  # noqa: E402 - after the path fix above
from drafter.core.errors import DrafterError  # noqa: E402
from drafter.workflow.accounts import User  # noqa: E402
from ui.components.plain import md  # noqa: E402
from ui.services import demo_logins_work, get_workflow  # noqa: E402
from ui.sign_in import NOTE_KEY, current_user, keep_cookie, sign_in, sign_out  # noqa: E402

go_offline()
st.set_page_config(page_title="Drafter", page_icon="🩺", layout="wide")


PAGES = {
    "Work": [
        st.Page("views/inbox.py", title="Inbox", icon=":material/inbox:", default=True),
        st.Page("views/question.py", title="Question", icon=":material/edit_note:"),
        st.Page("views/search.py", title="Search", icon=":material/search:"),
    ],
    "Editors": [
        st.Page("views/explainers.py", title="More Info queue", icon=":material/library_books:"),
    ],
    "Quality": [
        st.Page("views/compare.py", title="Compare & rate", icon=":material/compare:"),
        st.Page("views/dashboard.py", title="Dashboard", icon=":material/monitoring:"),
    ],
}


def login_page() -> None:
    st.title("Drafter")
    st.caption(
        "Drafts replies to patients' questions from your past answers. Nothing reaches a "
        "patient without a doctor's approval."
    )
    if note := st.session_state.get(NOTE_KEY):
        st.info(note)
    with st.form("login"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            sign_in(get_workflow().login(username, password))
        except DrafterError as exc:
            st.error(md(str(exc)))
        else:
            st.rerun()  # to the page of the address, e.g. the question open before a refresh
    try:
        demo = demo_logins_work()
    except DrafterError as exc:
        st.error(md(str(exc)))
        return
    if demo:
        st.info(
            "Demo logins (from `make run`): **doctor** / doctor-demo, **editor** / editor-demo, "
            "**reviewer** / reviewer-demo, **admin** / admin-demo."
        )


def signed_in_user() -> User | None:
    try:
        return current_user()
    except DrafterError as exc:  # the database is unreachable: say so above the sign-in form
        st.error(md(str(exc)))
        return None


# Every page is known signed out too, so an address such as /question?q=3 (a refresh, a
# bookmark) shows the sign-in form there and, once signed in, that page.
user = signed_in_user()
page = st.navigation(PAGES, position="sidebar" if user else "hidden")
if user is None:
    login_page()
    keep_cookie()  # last, so its empty element moves nothing
else:
    with st.sidebar:
        st.markdown(f"Signed in as **{md(user.display_name)}** ({user.role})")
        if st.button("Sign out", key="logout"):
            try:
                sign_out(user)
            except DrafterError as exc:  # the sign-in could not be ended: stay, and say why
                st.error(md(str(exc)))
            else:
                st.rerun()
        keep_cookie()
    page.run()
