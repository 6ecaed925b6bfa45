"""Long-lived objects for the app, built once per process from the settings, and the signed-in
user of this browser session."""

from __future__ import annotations

import streamlit as st

from drafter.accounts import User, demo_password
from drafter.errors import DrafterError
from drafter.llm import ChatBackend, make_chat_backend
from drafter.settings import Settings, load_settings
from drafter.workflow import Workflow
from knowledge.retrieval import HybridRetriever

USER_KEY = "user"


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Loading the knowledge base and the embedding model…")
def get_retriever() -> HybridRetriever:
    retriever = get_settings().make_retriever()
    retriever.embed_query("warm-up")  # load the model now, not on the first real question
    return retriever


@st.cache_resource(show_spinner="Opening the database…")
def get_workflow() -> Workflow:
    return get_settings().make_workflow(retriever=get_retriever)


@st.cache_resource(show_spinner="Loading the language model…")
def get_llm() -> ChatBackend:
    return make_chat_backend(get_settings())


@st.cache_data(show_spinner=False, ttl=60)
def demo_logins_work() -> bool:
    """Whether the demo doctor login still has its demo password (then the login page says so)."""
    try:
        get_workflow().login("doctor", demo_password("doctor"))
    except DrafterError:
        return False
    return True


def signed_in() -> User:
    """The signed-in user; pages are only reachable signed in, but stop cleanly if not."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        st.warning("Please sign in.")
        st.stop()
    return user
