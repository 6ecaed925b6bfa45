"""Long-lived objects for the app, built once per process from the settings."""

from __future__ import annotations

import streamlit as st

from drafter.settings import Settings, load_settings
from knowledge.retrieval import HybridRetriever


@st.cache_resource(show_spinner="Loading the knowledge base and the embedding model…")
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Loading the knowledge base and the embedding model…")
def get_retriever() -> HybridRetriever:
    retriever = get_settings().make_retriever()
    retriever.embed_query("warm-up")  # load the model now, not on the first real question
    return retriever
