"""Chat backends: the OpenAI wire path against a real loopback server, failures, settings."""

from __future__ import annotations

import time
from typing import Any

import pytest

from drafter.backends.base import GenerationError
from drafter.backends.factory import make_chat_backend
from drafter.core.errors import BackendUnavailableError, SettingsError
from prompts import Message
from tests.conftest import MakeSettings, free_port
from tests.support.fakes import scripted_backend

MESSAGES = [Message("system", "Be brief."), Message("user", "Is a cement leak dangerous?")]


def test_openai_backend_streams_over_the_wire(
    openai_stub: tuple[Any, str], make_settings: MakeSettings
) -> None:
    stub, url = openai_stub
    stub.replies.append("Hello, small leaks are common [1]. Come in if it gets worse.")
    settings = make_settings(llm_backend="openai", openai_base_url=url,
                             openai_api_key="sk-test-secret", openai_model="tiny")  # fmt: skip
    backend = make_chat_backend(settings)
    pieces = list(backend.stream(MESSAGES, max_tokens=50, temperature=0.1))
    assert len(pieces) > 3  # it really streamed, a word at a time
    assert "".join(pieces) == "Hello, small leaks are common [1]. Come in if it gets worse."
    [request] = stub.requests
    assert request["stream"] is True
    assert request["model"] == "tiny"
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    # the length cap every compatible server reads (llama.cpp's ignores max_completion_tokens)
    assert request["max_tokens"] == 50
    assert "max_completion_tokens" not in request
    assert stub.headers[0]["authorization"] == "Bearer sk-test-secret"
    assert backend.remote
    assert backend.model_id == "openai:tiny"
    assert "sk-test-secret" not in repr(settings)


def test_openai_itself_gets_the_length_cap_under_its_own_name(make_settings: MakeSettings) -> None:
    """Without DRAFTER_OPENAI_BASE_URL the request goes to OpenAI, whose reasoning models refuse
    `max_tokens`: the cap stays `max_completion_tokens` there."""
    settings = make_settings(llm_backend="openai", openai_api_key="sk-test-secret")
    backend = make_chat_backend(settings)
    payload = backend.chat_model._get_request_payload(  # type: ignore[attr-defined]
        [("user", "hi")], max_tokens=50
    )
    assert payload["max_completion_tokens"] == 50
    assert "max_tokens" not in payload


def test_a_down_server_gives_a_clear_error_quickly(make_settings: MakeSettings) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = make_settings(llm_backend="openai", openai_base_url=url, request_timeout=2)
    backend = make_chat_backend(settings)
    backend.backoff = 0.05  # type: ignore[attr-defined]
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="backend .*openai:.* failed"):
        list(backend.stream(MESSAGES, max_tokens=10, temperature=0))
    assert time.monotonic() - started < 15


def test_partial_text_survives_a_failure_mid_stream() -> None:
    backend, model = scripted_backend("FAIL_AFTER:3:one two three four five")
    received: list[str] = []

    def consume() -> None:
        for piece in backend.stream(MESSAGES, max_tokens=10, temperature=0):
            received.append(piece)

    with pytest.raises(GenerationError) as caught:
        consume()
    assert caught.value.partial == "one two three" == "".join(received)
    assert len(model.sent) == 1  # no retry once text has been streamed


def test_a_transient_failure_before_any_text_is_retried() -> None:
    backend, model = scripted_backend("FAIL_AFTER:0:x", "recovered fine")
    backend.retries, backend.backoff = 2, 0.01
    assert "".join(backend.stream(MESSAGES, max_tokens=10, temperature=0)) == "recovered fine"
    assert len(model.sent) == 2


def test_a_vendor_subclass_of_a_transient_error_is_retried() -> None:
    """langchain-openai raises subclasses of openai's errors (issue 11: a refused connection
    failed at once)."""
    import httpx2
    import openai

    class OpenAIConnectionError(openai.APIConnectionError):
        pass

    backend, model = scripted_backend("recovered fine")
    backend.retries, backend.backoff = 2, 0.01
    stream = type(model)._stream
    calls: list[int] = []

    def refuse_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OpenAIConnectionError(request=httpx2.Request("POST", "http://127.0.0.1:9"))
        return stream(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(model), "_stream", refuse_once)
        assert "".join(backend.stream(MESSAGES, max_tokens=10, temperature=0)) == "recovered fine"
    assert len(calls) == 2


def test_openai_backend_needs_a_key_or_a_url(make_settings: MakeSettings) -> None:
    with pytest.raises(SettingsError, match="DRAFTER_OPENAI_API_KEY"):
        make_chat_backend(make_settings(llm_backend="openai"))


def test_a_missing_local_model_file_is_a_settings_error(make_settings: MakeSettings) -> None:
    settings = make_settings(local_model_path="/nonexistent/model.gguf")
    with pytest.raises(SettingsError, match="DRAFTER_LOCAL_MODEL_PATH"):
        make_chat_backend(settings, "local")
