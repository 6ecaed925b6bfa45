"""The CLI tests' database: the shared `desk`, as the CLI finds it (DRAFTER_DATABASE_URL)."""

from __future__ import annotations

import pytest

from tests.support.workflow_kit import Desk

GOUT = (
    "Last night the joint at the base of my big toe suddenly became red, hot and so swollen that "
    "even the bed sheet hurt. I had a barbecue with a lot of beer. Could this be gout?"
)


@pytest.fixture
def desk(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """The CLI's database (DRAFTER_DATABASE_URL) with one user of each role."""
    monkeypatch.setenv("DRAFTER_DATABASE_URL", desk.url)
    return desk


@pytest.fixture
def doctor_signed_in(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """`desk`, with the demo doctor's password where the CLI asks for one."""
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-pass-1")
    return desk
