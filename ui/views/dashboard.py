"""Issue 5 page (being built)."""

from __future__ import annotations

import streamlit as st

from ui.services import signed_in

signed_in()
st.title("dashboard")
st.info("This page is being built.")
