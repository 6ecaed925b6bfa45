"""A real browser keeps its sign-in across a refresh: a doctor opening a question's address signs
in there, reloads and is still on that question; without the cookie, with an expired one, or after
signing out (even if the old cookie comes back), the reload shows the sign-in form instead."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from drafter.services import Services
from drafter.workflow.tables import utcnow
from tests.conftest import AppEnv
from tests.ui.test_browser import CHROMIUM, FLAGS, SHOTS, WAIT_MS, app_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
COOKIE = "drafter_session"


def test_a_refresh_keeps_the_doctor_on_the_question_until_the_sign_in_ends(
    app_env: AppEnv,
    app_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    from playwright.sync_api import expect, sync_playwright

    doctor = app_env.workflow().login("doctor", "doctor-demo")
    question = app_env.workflow().add_question(
        doctor, "My ankle is still swollen two weeks after I twisted it. Should I get an x-ray?"
    )
    address = f"{app_url}/question?q={question.id}"
    heading = f"Question #{question.id}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        def sign_in_form_shows() -> None:
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(page.get_by_role("heading", name=heading)).to_have_count(0)
            expect(page.get_by_text("Page not found")).to_have_count(0)

        def sign_in() -> None:
            page.get_by_label("Username").fill("doctor")
            page.get_by_role("textbox", name="Password").fill("doctor-demo")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible()

        def session_cookie() -> dict[str, Any] | None:
            return next((dict(c) for c in context.cookies() if c["name"] == COOKIE), None)

        def cookie_written() -> dict[str, Any]:
            """The cookie once the page's script has written it (it runs after the render)."""
            page.wait_for_function(f"() => document.cookie.includes('{COOKIE}=v1.')")
            cookie = session_cookie()
            assert cookie is not None
            return cookie

        page.goto(address)  # signed out, the question's address asks to sign in there
        sign_in_form_shows()
        shot("21-sign-in-on-a-question-address")
        sign_in()
        cookie = cookie_written()
        assert (cookie["path"], cookie["sameSite"], cookie["httpOnly"]) == ("/", "Strict", False)
        assert cookie["expires"] > 0  # kept across a browser restart, not a session cookie

        page.reload()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_text("Signed in as Dr. Demo Doctor")).to_be_visible()
        assert page.url == address
        shot("22-still-signed-in-after-a-refresh")

        context.clear_cookies(name=COOKIE)
        page.reload()
        sign_in_form_shows()

        expired = replace(Services().sign_ins(), now=lambda: utcnow() - timedelta(hours=13))
        context.add_cookies([{"name": COOKIE, "value": expired.issue(doctor), "url": app_url}])
        page.reload()
        sign_in_form_shows()
        expect(page.get_by_text("Your sign-in expired. Please sign in again.")).to_be_visible()
        shot("23-sign-in-expired")
        sign_in()
        token = cookie_written()["value"]

        page.get_by_role("button", name="Sign out").click()
        sign_in_form_shows()
        page.wait_for_function(f"() => !document.cookie.includes('{COOKIE}=')")
        assert session_cookie() is None  # the page cleared it
        context.add_cookies([{"name": COOKIE, "value": token, "url": app_url}])
        page.reload()  # the ended token is refused by the server, not only forgotten
        sign_in_form_shows()
        shot("24-signed-out-token-refused")
        browser.close()

    assert app_env.workflow().audit()[-1].action == "session.end"
