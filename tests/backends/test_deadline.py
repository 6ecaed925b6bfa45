"""The openai backend over misbehaving loopback servers (issue 11, defects 3 and 4): a whole-call
deadline, retries before the first token that really happen, and the key never in an error."""

from __future__ import annotations

import time

import pytest

from drafter.backends.base import GenerationError
from drafter.backends.factory import make_chat_backend
from prompts import Message
from tests.conftest import MakeSettings
from tests.support.misbehaving import Misbehaviour, misbehaving_openai

MESSAGES = [Message("system", "Be brief."), Message("user", "Is a cement leak dangerous?")]


def test_a_trickling_server_is_cut_off_at_the_deadline_keeping_the_text(
    make_settings: MakeSettings,
) -> None:
    how = Misbehaviour(token_gap=1.0)  # each read well inside the 3 s timeout
    with misbehaving_openai(how) as url:
        settings = make_settings(
            llm_backend="openai", openai_base_url=url, request_timeout=3, generation_timeout=2.5
        )
        backend = make_chat_backend(settings)
        received: list[str] = []

        def consume() -> None:
            for piece in backend.stream(MESSAGES, max_tokens=50, temperature=0):
                received.append(piece)

        started = time.monotonic()
        with pytest.raises(GenerationError) as caught:
            consume()
        elapsed = time.monotonic() - started
    assert elapsed < 3.5
    assert str(caught.value) == (
        "the model backend (openai:gpt-4o-mini) did not finish within 2.5 s "
        "(DRAFTER_GENERATION_TIMEOUT)"
    )
    assert caught.value.partial == "".join(received)
    assert caught.value.partial.startswith("one two")
    assert caught.value.exit_code == 4


def test_a_dropped_connection_before_the_first_token_is_retried(
    make_settings: MakeSettings,
) -> None:
    how = Misbehaviour(drop_first=1)
    with misbehaving_openai(how) as url:
        settings = make_settings(llm_backend="openai", openai_base_url=url, request_timeout=2)
        backend = make_chat_backend(settings)
        backend.backoff = 0.05  # type: ignore[attr-defined]
        text = "".join(backend.stream(MESSAGES, max_tokens=50, temperature=0))
    assert text == how.reply
    assert len(how.requests) == 2


def test_a_read_timeout_before_the_first_token_is_retried(make_settings: MakeSettings) -> None:
    how = Misbehaviour(stall_first=1)  # the first request waits 3 s, past the 1 s read timeout
    with misbehaving_openai(how) as url:
        settings = make_settings(llm_backend="openai", openai_base_url=url, request_timeout=1)
        backend = make_chat_backend(settings)
        backend.backoff = 0.05  # type: ignore[attr-defined]
        text = "".join(backend.stream(MESSAGES, max_tokens=50, temperature=0))
    assert text == how.reply
    assert len(how.requests) == 2


def test_an_error_that_echoes_the_key_is_scrubbed(make_settings: MakeSettings) -> None:
    how = Misbehaviour(echo_auth_401=True)
    with misbehaving_openai(how) as url:
        settings = make_settings(
            llm_backend="openai", openai_base_url=url, openai_api_key="sk-live-chat-424242"
        )
        backend = make_chat_backend(settings)
        with pytest.raises(GenerationError) as caught:
            list(backend.stream(MESSAGES, max_tokens=50, temperature=0))
    assert "sk-live-chat-424242" not in str(caught.value)
    assert "Bearer ***" in str(caught.value)
    assert len(how.requests) == 1  # a refused key is not retried
