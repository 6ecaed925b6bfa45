"""The one scrub for error texts (issue 11, defect 4)."""

from __future__ import annotations

import pytest

from drafter.core.secrets import remember, scrub, url_password
from tests.conftest import MakeSettings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://drafter:hunter22@db/drafter refused",
         "postgresql+psycopg://drafter:***@db/drafter refused"),
        ("see http://user:p%40ss@kb:8000/api", "see http://user:***@kb:8000/api"),
        ("http://kb:8000/api/v2, user@example.org", "http://kb:8000/api/v2, user@example.org"),
    ],
)  # fmt: skip
def test_passwords_in_urls_are_scrubbed(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_a_remembered_secret_is_scrubbed_wherever_it_appears() -> None:
    remember("sk-unit-abcdef123", None, "")
    assert scrub("401: Bearer sk-unit-abcdef123 (sk-unit-abcdef123)") == "401: Bearer *** (***)"


def test_the_settings_remember_the_key_and_url_passwords(make_settings: MakeSettings) -> None:
    make_settings(
        openai_api_key="sk-settings-777777",
        database_url="postgresql+psycopg://drafter:db-pass-31337@db/drafter",
    )
    assert scrub("key sk-settings-777777, password db-pass-31337") == "key ***, password ***"


def test_url_password() -> None:
    assert url_password("http://u:p%40ss@host:1/x") == "p@ss"
    assert url_password("http://host:1/x") is None
    assert url_password(None) is None
