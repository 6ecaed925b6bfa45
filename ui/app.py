"""Drafter's app: sign in, then the pages your role uses. Started by `make run` / `drafter ui`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.core.environment import go_offline  # noqa: E402 - after the path fix above
from drafter.core.errors import DrafterError  # noqa: E402
from ui.components.plain import md  # noqa: E402
from ui.services import USER_KEY, demo_logins_work, get_workflow  # noqa: E402

go_offline()
st.set_page_config(page_title="Drafter", page_icon="🩺", layout="wide")


def login_page() -> None:
    st.title("Drafter")
    st.caption(
        "Drafts replies to patients' questions from your past answers. Nothing reaches a "
        "patient without a doctor's approval."
    )
    with st.form("login"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            st.session_state[USER_KEY] = get_workflow().login(username, password)
        except DrafterError as exc:
            st.error(md(str(exc)))
        else:
            st.rerun()
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


def logout() -> None:
    st.session_state.clear()
    st.rerun()


user = st.session_state.get(USER_KEY)
if user is None:
    page = st.navigation([st.Page(login_page, title="Sign in", icon=":material/login:")])
else:
    with st.sidebar:
        st.markdown(f"Signed in as **{md(user.display_name)}** ({user.role})")
        if st.button("Sign out", key="logout"):
            logout()
    page = st.navigation(
        {
            "Work": [
                st.Page("views/inbox.py", title="Inbox", icon=":material/inbox:", default=True),
                st.Page("views/question.py", title="Question", icon=":material/edit_note:"),
                st.Page("views/search.py", title="Search", icon=":material/search:"),
            ],
            "Editors": [
                st.Page(
                    "views/explainers.py", title="More Info queue", icon=":material/library_books:"
                ),
            ],
            "Quality": [
                st.Page("views/compare.py", title="Compare & rate", icon=":material/compare:"),
                st.Page("views/dashboard.py", title="Dashboard", icon=":material/monitoring:"),
            ],
        }
    )
page.run()
