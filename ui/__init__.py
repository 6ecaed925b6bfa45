"""Drafter's Streamlit app."""
