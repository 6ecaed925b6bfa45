"""The app's long-lived objects: one `drafter.services.Services` per process, and the signed-in
user of this browser session (checked on every run by `ui/sign_in.py`)."""

from __future__ import annotations

import streamlit as st

from drafter.backends.base import ChatBackend
from drafter.core.errors import DrafterError
from drafter.core.settings import Settings
from drafter.services import Services
from drafter.triage.stage import Triager
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Workflow
from drafter.workflow.explainers import ExplainerQueue
from drafter.workflow.sign_in import SignIns
from knowledge.retrieval import HybridRetriever

USER_KEY = "user"


@st.cache_resource(show_spinner=False, on_release=Services.close)
def get_services() -> Services:
    return Services()


def get_settings() -> Settings:
    return get_services().settings


@st.cache_resource(show_spinner="Loading the knowledge base and the embedding model…")
def get_retriever() -> HybridRetriever:
    retriever = get_services().retriever()
    retriever.embed_query("warm-up")  # load the model now, not on the first real question
    return retriever


@st.cache_resource(show_spinner="Opening the database…")
def get_workflow() -> Workflow:
    return get_services().workflow()


def get_sign_ins() -> SignIns:
    return get_services().sign_ins()


def get_explainer_queue() -> ExplainerQueue:
    return get_services().explainer_queue()


@st.cache_resource(show_spinner="Loading triage…")
def get_triager() -> Triager:
    return get_services().triager()


@st.cache_resource(show_spinner="Loading the language model…")
def get_llm() -> ChatBackend:
    return get_services().chat_backend()


@st.cache_data(show_spinner=False, ttl=60)
def demo_logins_work() -> bool:
    """Whether the demo doctor login still has its demo password (then the login page says so);
    asked without a login, so the page's visits are not failed logins of the doctor."""
    try:
        return get_workflow().has_demo_password("doctor")
    except DrafterError:
        return False


def signed_in() -> User:
    """The signed-in user; pages are only reachable signed in, but stop cleanly if not."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        st.warning("Please sign in.")
        st.stop()
    return user
