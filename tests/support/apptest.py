"""Starting the app under streamlit.testing's AppTest, signed in as a demo user."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from drafter.services import Services
from drafter.workflow.accounts import User
from tests.conftest import AppEnv
from ui.sign_in import TOKEN_KEY

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def app_as(user: User | None = None) -> AppTest:
    """The app signed in as `user` (as after its sign-in form), or at the sign-in page."""
    at = AppTest.from_file(APP, default_timeout=90)
    if user is not None:
        at.session_state[TOKEN_KEY] = token_for(user)
    return at


def token_for(user: User) -> str:
    """A sign-in token for `user`, from the app's settings (the same database and key)."""
    return Services().sign_ins().issue(user)


def login(env: AppEnv, role: str) -> User:
    return env.workflow().login(role, f"{role}-demo")


def page_as(env: AppEnv, role: str, path: str, **params: str) -> AppTest:
    """The page at `path` run once signed in as `role`, with these query parameters."""
    at = app_as(login(env, role))
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def to_check(at: AppTest) -> int:
    """The checked view's count of sentences to check."""
    (count,) = [m.value for m in at.markdown if "to check**" in m.value]
    return int(count.removeprefix("**").split()[0])


def about_the_patient(at: AppTest) -> list[str]:
    """The checked view's red "about the patient" marks."""
    return [e.value for e in at.error if e.value.startswith("**about the patient**")]
