"""Starting the app under streamlit.testing's AppTest, signed in as a demo user."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from drafter.workflow.accounts import User
from tests.conftest import AppEnv

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def app_as(user: User | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if user is not None:
        at.session_state["user"] = user
    return at


def login(env: AppEnv, role: str) -> User:
    return env.workflow().login(role, f"{role}-demo")
