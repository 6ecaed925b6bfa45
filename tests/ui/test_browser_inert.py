"""A real browser over a hostile question and a model that repeats its markup: the patient's
remote image is never fetched (a loopback "pixel" server counts requests) and no link to it is
live, on the inbox, the question page (before and after drafting), the preview and the history."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import AppEnv
from tests.support.fakes import page_responder
from tests.support.hostile import hostile_question
from tests.ui.test_browser import CHROMIUM, FLAGS, WAIT_MS, app_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def pixel() -> Iterator[tuple[int, list[str]]]:
    """A loopback server that records every path a browser asks it for."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()


def test_no_page_fetches_the_patients_image_or_links_to_it(
    app_env: AppEnv,
    app_url: str,  # noqa: F811 - the fixture imported above
    pixel: tuple[int, list[str]],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    port, hits = pixel
    host = f"127.0.0.1:{port}"
    markup = f"![p](http://{host}/model.png) [see](http://{host}/phish) <img src=http://{host}/h>"
    app_env.stub.responder = lambda body: f"{page_responder(body)} {markup}"
    wf = app_env.workflow()
    doctor = wf.login("doctor", "doctor-demo")
    question = wf.add_question(doctor, hostile_question(port), asker=f"![a](http://{host}/a)")
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(WAIT_MS)
        live_links = page.locator(f'a[href*="{host}"], img[src*="{host}"]')

        page.goto(app_url)
        page.get_by_label("Username").fill("doctor")
        page.get_by_role("textbox", name="Password").fill("doctor-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("my photos").first).to_be_visible()  # shown, as text
        assert live_links.count() == 0
        page.locator(f".st-key-open-{question.id} button").click()

        expect(page.get_by_role("heading", name=f"Question #{question.id}")).to_be_visible()
        page.get_by_role("button", name="Draft", exact=True).click()
        expect(page.get_by_text("Draft saved as version 1")).to_be_visible()
        expect(page.get_by_text("which no source contains").first).to_be_visible()
        assert live_links.count() == 0
        for tab in ("Preview & export", "History"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(1500)
            assert live_links.count() == 0, tab
        page.wait_for_timeout(1500)  # time for any image request to arrive
        browser.close()
    assert hits == []
