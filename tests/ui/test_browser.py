"""A real browser end to end: headless Debian chromium drives the app started on a loopback port.

A doctor signs in, opens a question from the inbox, drafts it (the model is the stub server),
edits the reply, approves it, then finds the answer through search. Each step leaves a
screenshot in $SCREENSHOTS_DIR (make test prints the folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppEnv, free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 90_000


@pytest.fixture
def app_url(app_env: AppEnv) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs Debian's chromium)")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "ui" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "minimal",
        ],  # fmt: skip
        env={**os.environ, **app_env.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not start in 60 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_doctor_drafts_edits_approves_and_finds_the_answer(app_env: AppEnv, app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    doctor = app_env.workflow().login("doctor", "doctor-demo")
    question = app_env.workflow().add_question(
        doctor,
        "I get a sharp pain under my heel with the first steps every morning. What helps?",
        age_group="40-49",
        sex="female",
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(WAIT_MS)

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        page.goto(app_url)
        page.get_by_label("Username").fill("doctor")
        page.get_by_role("textbox", name="Password").fill("doctor-demo")
        shot("01-sign-in")
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        expect(page.get_by_text("sharp pain under my heel")).to_be_visible()
        shot("02-inbox")
        page.locator(f".st-key-open-{question.id} button").click()

        expect(page.get_by_role("heading", name=f"Question #{question.id}")).to_be_visible()
        page.get_by_role("button", name="Draft", exact=True).click()
        expect(page.get_by_text("Draft saved as version 1")).to_be_visible()
        shot("03-drafted")

        reply = page.get_by_label("Short reply", exact=True)
        reply.fill("Hello, this sounds like plantar fasciitis [1]. Stretch the calf daily.")
        reply.press("Tab")  # leaving the box saves
        expect(page.get_by_text("Saved as version 2")).to_be_visible()
        shot("04-edited")

        approve = page.get_by_role("button", name="Approve reply")
        click_once_settled(page, approve)  # the rerun after the save replaces the old page
        expect(page.get_by_text(re.compile("Reply approved"))).to_be_visible()
        shot("05-approved")

        page.get_by_role("link", name="Search").click()
        page.get_by_label("Patient question").fill("pain under the heel in the morning")
        page.get_by_role("button", name="Find similar answers").click()
        expect(page.get_by_text("Stretch the calf daily").first).to_be_attached()
        expect(page.get_by_text("Knee Pain After Running: Causes and Care").first).to_be_visible()
        shot("06-search-finds-it")
        browser.close()

    versions = app_env.workflow().versions(question.id)
    assert [v.kind for v in versions] == ["ai", "edit"]
    assert app_env.workflow().question(question.id).status == "approved"
    assert len(list(SHOTS.glob("0*.png"))) >= 6


def test_reviewer_rates_a_blind_comparison_and_sees_the_labels(
    app_env: AppEnv, app_url: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from drafter.review import pairs as review
    from tests.support.workflow_kit import ai_draft

    wf = app_env.workflow()
    doctor = wf.login("doctor", "doctor-demo")
    question = wf.add_question(
        doctor, "Both my shins ache every time I run. Should I stop?", age_group="30-39"
    )
    first = ai_draft(question.text, reply="Hello, aching shins are most often shin splints [1].")
    first.model = "model-alpha"
    second = ai_draft(
        question.text,
        reply="Hello, this sounds like shin splints [1]. Run half as far for two weeks.",
    )
    second.model = "model-beta"
    second.prompt_versions = {**first.prompt_versions, "reply": "short_reply@v1#b"}
    wf.save_draft(doctor, question.id, first)
    wf.save_draft(doctor, question.id, second, kind="regenerate")
    wf.approve(doctor, question.id, "reply")  # version 2, so there is a diff to compare too

    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(WAIT_MS)

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        page.goto(app_url)
        page.get_by_label("Username").fill("reviewer")
        page.get_by_role("textbox", name="Password").fill("reviewer-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()

        page.get_by_role("link", name="Compare & rate").click()
        expect(page.get_by_role("heading", name="Compare & rate")).to_be_visible()
        expect(page.get_by_text("Run half as far for two weeks.").first).to_be_visible()
        expect(page.locator("ins").first).to_be_visible()
        expect(page.get_by_text("3 Aligned with consensus", exact=True)).to_be_visible()
        shot("11-reviewer-ai-draft-vs-final")

        page.get_by_text("Blind A/B", exact=True).click()
        expect(page.get_by_role("heading", name="Draft A")).to_be_visible()
        expect(page.get_by_role("heading", name="Draft B")).to_be_visible()
        expect(page.get_by_text("Empathy: Draft B")).to_be_visible()
        expect(page.get_by_text("Side by side")).to_have_count(0)  # the first page is gone
        assert "model-alpha" not in page.content()
        assert "model-beta" not in page.content()
        for axis in review.RUBRIC:
            for side, score in (("A", axis.top), ("B", 1)):
                group = page.locator(f'[class*="-Draft-{side}-{axis.key}"]')
                group.get_by_text(f"{score} {axis.label(score)}", exact=True).click()
        page.locator('[class*="-preferred"]').get_by_text("Draft A", exact=True).click()
        comment = page.get_by_label("Comment (optional)")
        comment.fill("B tells the patient to keep running with pain.")
        shot("12-reviewer-blind-ab-rated")
        comment.press("Control+Enter")  # the form is saved from the keyboard

        expect(page.get_by_text(re.compile(r"Rating \d+ saved"))).to_be_visible()
        expect(page.get_by_text(re.compile("Draft A was version"))).to_be_visible()
        expect(page.get_by_text(re.compile("Draft B was version"))).to_be_visible()
        assert "model-alpha" in page.content()
        shot("13-reviewer-labels-revealed")

        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", name="Rubric scores by prompt version")).to_be_visible()
        # 7 charts: acceptance and edit distance over time and by prompt, the rubric heatmap,
        # blind A/B wins, questions per week
        expect(page.locator(".vega-embed")).to_have_count(7)
        shot("14-reviewer-dashboard")
        browser.close()

    [rating] = review.ratings(wf)
    assert (rating.reviewer, rating.mode, rating.preferred) == ("reviewer", "ab", "A")
    assert rating.comment == "B tells the patient to keep running with pain."
    assert set(rating.axes.values()) == {3, 5}  # every axis at the top of its scale for A
    assert set((rating.other_axes or {}).values()) == {1}
    assert len(list(SHOTS.glob("1*-reviewer-*.png"))) >= 4


def click_once_settled(page: Any, button: Any, seconds: float = 20) -> None:
    """Click `button` once the page shows it once and has kept showing it once for half a
    second: while Streamlit reruns, the old page's copy can stand beside the new one."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    deadline = time.monotonic() + seconds
    while True:
        expect(button).to_have_count(1)
        page.wait_for_timeout(500)
        if button.count() == 1:
            try:
                button.click(timeout=2000)
                return
            except PlaywrightError:
                if time.monotonic() > deadline:
                    raise
        elif time.monotonic() > deadline:
            raise AssertionError(f"{button} is shown {button.count()} times")
