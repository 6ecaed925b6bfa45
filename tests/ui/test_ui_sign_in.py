"""Signing in through AppTest: the page writes the token to a cookie, a new session (a refresh)
signs in from it on the page and question it was on, and an expired, tampered or ended one, or a
deactivated account, shows the sign-in form there instead of "Page not found"."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from drafter.services import Services
from drafter.workflow.tables import utcnow
from tests.conftest import AppEnv
from tests.support.apptest import app_as, login, token_for
from ui import sign_in

QUESTION = "My knee hurts after running. What should I do?"


def refresh(monkeypatch: pytest.MonkeyPatch, cookie: str | None, **params: str) -> AppTest:
    """A new session of the question page, as a browser refresh opens it with this cookie."""
    monkeypatch.setattr(sign_in, "request_cookie", lambda: cookie)
    at = app_as()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page("views/question.py")
    at.run()
    assert not at.exception, at.exception
    return at


def submit_login(at: AppTest, username: str, password: str) -> None:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception


def cookie_scripts(at: AppTest) -> list[str]:
    return [h.value for h in at.html if "document.cookie" in h.value]


def on_sign_in_page(at: AppTest) -> bool:
    return bool(at.title) and at.title[0].value == "Drafter" and at.button[0].label == "Sign in"


def test_signing_in_writes_the_token_to_a_strict_cookie(app_env: AppEnv) -> None:
    at = app_as()
    at.run()
    assert cookie_scripts(at) == []
    submit_login(at, "doctor", "doctor-demo")
    assert at.title[0].value == "Inbox"
    token = at.session_state[sign_in.TOKEN_KEY]
    assert Services().sign_ins().check(token).username == "doctor"
    [script] = cookie_scripts(at)
    assert f'"drafter_session={token}; Path=/; Max-Age=43200; SameSite=Strict"' in script
    assert '"https:" ? "; Secure"' in script


def test_a_refresh_signs_in_from_the_cookie_on_the_same_question(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = login(app_env, "doctor")
    q = app_env.workflow().add_question(doctor, QUESTION)
    at = refresh(monkeypatch, token_for(doctor), q=str(q.id))
    assert at.title[0].value == f"Question #{q.id}"
    assert at.query_params["q"] == str(q.id)
    assert any("Signed in as **Dr. Demo Doctor** (doctor)" in m.value for m in at.markdown)


def test_signed_out_a_question_address_asks_to_sign_in_then_opens_that_question(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = app_env.workflow().add_question(login(app_env, "doctor"), QUESTION)
    at = refresh(monkeypatch, None, q=str(q.id))
    assert on_sign_in_page(at)
    assert not at.info or "expired" not in at.info[0].value
    submit_login(at, "doctor", "doctor-demo")
    assert at.title[0].value == f"Question #{q.id}"


def test_an_expired_cookie_says_so_and_the_sign_in_returns_to_the_question(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = login(app_env, "doctor")
    q = app_env.workflow().add_question(doctor, QUESTION)
    yesterday = replace(Services().sign_ins(), now=lambda: utcnow() - timedelta(hours=13))
    at = refresh(monkeypatch, yesterday.issue(doctor), q=str(q.id))
    assert on_sign_in_page(at)
    assert at.info[0].value == sign_in.EXPIRED
    assert any("Max-Age=0" in s for s in cookie_scripts(at))  # the stale cookie is cleared
    submit_login(at, "doctor", "doctor-demo")
    assert at.title[0].value == f"Question #{q.id}"
    assert sign_in.EXPIRED not in [i.value for i in at.info]


@pytest.mark.parametrize("cookie", ["v1.e30.AAAA", "not a token", ""])
def test_a_bad_cookie_shows_the_sign_in_form_without_a_note(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch, cookie: str
) -> None:
    at = refresh(monkeypatch, cookie, q="1")
    assert on_sign_in_page(at)
    assert sign_in.EXPIRED not in [i.value for i in at.info]


def test_signing_out_clears_the_cookie_and_ends_the_token(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_as(login(app_env, "doctor"))
    at.run()
    token = at.session_state[sign_in.TOKEN_KEY]
    at.button(key="logout").click().run()
    assert not at.exception, at.exception
    assert on_sign_in_page(at)
    assert any("Max-Age=0" in s for s in cookie_scripts(at))
    assert app_env.workflow().audit()[-1].action == "session.end"
    again = refresh(monkeypatch, token)  # the old cookie, had the browser kept it
    assert on_sign_in_page(again)
    assert sign_in.EXPIRED not in [i.value for i in again.info]


def test_a_deactivated_account_is_signed_out_at_its_next_click(app_env: AppEnv) -> None:
    at = app_as(login(app_env, "doctor"))
    at.run()
    assert at.title[0].value == "Inbox"
    app_env.workflow().set_active(login(app_env, "admin"), "doctor", False)
    at.run()
    assert not at.exception, at.exception
    assert on_sign_in_page(at)
    assert "user" not in at.session_state
