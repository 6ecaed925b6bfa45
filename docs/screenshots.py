"""Regenerate the README's screenshots from a running app (real local model, demo data).

    make run &                       # in another terminal; wait until it serves
    .venv/bin/python docs/screenshots.py [http://127.0.0.1:8501] [--draft]

Drives Debian's chromium headless (never `playwright install`). Drafting with the bundled model
takes a minute or two on 2 cores; the script waits.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

OUT = Path(__file__).resolve().parent / "img"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main(url: str, draft: bool) -> None:
    expect.set_options(timeout=600_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(600_000)
        page.goto(url)
        page.get_by_label("Username").fill("doctor")
        page.get_by_role("textbox", name="Password").fill("doctor-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        expect(page.locator("[class*='st-key-open-'] button").first).to_be_visible()
        page.wait_for_timeout(3000)
        page.screenshot(path=str(OUT / "inbox.png"))
        page.locator("[class*='st-key-open-'] button").nth(2).click()
        button = page.get_by_role("button", name="Draft", exact=True)
        expect(button).to_be_visible()
        if draft:
            button.click()
            expect(page.get_by_text("Draft saved as version")).to_be_visible()
        expect(page.get_by_role("heading", name="Related FAQ")).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT / "question.png"))
        browser.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "http://127.0.0.1:8501", "--draft" in sys.argv)
