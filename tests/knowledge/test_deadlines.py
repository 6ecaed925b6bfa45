"""Every call to Chroma and to an embedding server has a deadline (issue 11, defect 2): a server
that accepts the connection and never answers gives one clear error within the timeout."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from drafter.core.errors import BackendUnavailableError
from drafter.services import Services
from knowledge.embeddings import OpenAIEmbedder
from knowledge.store import KnowledgeStore
from tests.conftest import MakeSettings
from tests.support.misbehaving import Misbehaviour, black_hole, misbehaving_openai


def test_a_chroma_server_that_never_answers_is_given_up_within_the_timeout(
    make_settings: MakeSettings,
) -> None:
    with black_hole() as url:
        settings = make_settings(chroma_url=url, request_timeout=1)
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as caught:
            Services(settings).store()
    assert time.monotonic() - started < 4
    assert str(caught.value) == (
        f"Chroma server at {url} does not answer within 1 s "
        "(DRAFTER_CHROMA_URL, DRAFTER_REQUEST_TIMEOUT)"
    )
    assert caught.value.exit_code == 4


class _HangingClient:
    """A Chroma client whose server went quiet after the heartbeat."""

    def get_collection(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(30)


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.count("qa"),
        lambda store: store.generation("qa"),
        lambda store: store.get("qa", ["x"]),
    ],
)
def test_every_store_call_on_a_server_has_the_deadline(call: Any) -> None:
    store = KnowledgeStore(_HangingClient(), "drafter", "http://kb:8000", create=False, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="Chroma server at http://kb:8000 does not"):
        call(store)
    assert time.monotonic() - started < 3


class _GoneClient:
    """A Chroma client whose server stopped after the connect: each call's connection fails."""

    def __init__(self) -> None:
        self.calls = 0

    def get_collection(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise httpx.ConnectError("[Errno 111] Connection refused")


def test_a_store_call_to_a_server_gone_since_the_connect_is_a_clear_error() -> None:
    client = _GoneClient()
    store = KnowledgeStore(client, "drafter", "http://kb:8000", create=False, timeout=5)
    with pytest.raises(BackendUnavailableError) as caught:
        store.count("qa")
    assert str(caught.value) == (
        "Chroma server at http://kb:8000 does not answer (DRAFTER_CHROMA_URL): ConnectError"
    )
    assert caught.value.exit_code == 4
    assert client.calls == 1


def test_an_embedding_server_that_trickles_is_cut_off() -> None:
    how = Misbehaviour(token_gap=0.3)  # 8 bytes every 0.3 s: each read is quick, the whole slow
    with misbehaving_openai(how) as url:
        embedder = OpenAIEmbedder("emb", "sk-live-123456", url, timeout=1)
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="embedding server .* within 1 s"):
            embedder.embed(["a question"])
    assert time.monotonic() - started < 4


def test_an_embedding_server_that_never_answers_is_cut_off() -> None:
    with black_hole() as url:
        embedder = OpenAIEmbedder("emb", None, url + "/v1", timeout=1)
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="embedding server"):
            embedder.embed(["a question"])
    assert time.monotonic() - started < 4


def test_an_embedding_error_that_echoes_the_key_is_scrubbed() -> None:
    """Issue 11, defect 4: a gateway repeating the Authorization header in its 401."""
    how = Misbehaviour(echo_auth_401=True)
    with misbehaving_openai(how) as url:
        embedder = OpenAIEmbedder("emb", "sk-live-embed-98765", url, timeout=2)
        with pytest.raises(BackendUnavailableError) as caught:
            embedder.embed(["a question"])
    assert "sk-live-embed-98765" not in str(caught.value)
    assert "invalid credentials: Bearer ***" in str(caught.value)
