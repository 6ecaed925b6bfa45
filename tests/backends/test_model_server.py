"""A real model server on the wire: llama.cpp's own OpenAI-compatible server
(`python -m llama_cpp.server`, the `llama-cpp-python[server]` extra) on the bundled model,
reached through `DRAFTER_LLM_BACKEND=openai` exactly as vLLM or Ollama would be (slow: the model
runs on the CPU; runs in CI)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafter.backends.local_model import resolve_local_model
from drafter.core.question import PatientQuestion
from drafter.core.settings import load_settings
from drafter.drafting.pipeline import draft_page
from drafter.services import Services
from drafter.workflow.drafting_session import draft_version
from tests.conftest import RunCli, SampleKb, free_port
from tests.support.servers import ModelServer, running_llama_server
from tests.support.workflow_kit import Desk

pytestmark = pytest.mark.slow

ALIAS = "qwen2.5-coder-0.5b-instruct"
STATIN = PatientQuestion(
    "Since starting atorvastatin two months ago my thighs ache. Should I stop the statin?",
    "50-59",
    "male",
)


class StreamLog:
    """A draft listener that notes, for each streamed piece, the stage open when it arrived and
    when, so a test can tell text that streamed from text that came in one piece at the end."""

    def __init__(self) -> None:
        self.stage = ""
        self.stages: list[str] = []
        self.pieces: list[tuple[str, str, str, float]] = []  # (stage, part, text, time)

    def on_stage(self, stage: str) -> None:
        self.stage = stage
        self.stages.append(stage)

    def on_token(self, part: str, text: str) -> None:
        self.pieces.append((self.stage, part, text, time.monotonic()))

    def of(self, part: str) -> list[tuple[str, str, str, float]]:
        return [p for p in self.pieces if p[1] == part]


@pytest.fixture
def model_server(sample_kb: SampleKb, tmp_path: Path) -> Iterator[ModelServer]:
    """The bundled model (assembled once, in the session's sample store) served by llama.cpp's
    server on a free loopback port; its own server per test, as one test makes it go away."""
    model = resolve_local_model(sample_kb.settings)
    with running_llama_server(model, tmp_path, free_port(), alias=ALIAS) as server:
        yield server


def _uncited(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text).strip()


def _point_at(server: ModelServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings an operator sets for any OpenAI-compatible server (docs/operations.md), and a
    short page so the test stays inside CI's time on two cores."""
    for name, value in {
        "DRAFTER_DATA_DIR": str(data_dir),
        "DRAFTER_LLM_BACKEND": "openai",
        "DRAFTER_OPENAI_BASE_URL": server.base_url,
        "DRAFTER_OPENAI_API_KEY": "sk-any-key-llama-cpp-ignores-it",
        "DRAFTER_OPENAI_MODEL": server.model,
        "DRAFTER_REPLY_MAX_TOKENS": "96",
        "DRAFTER_EXPLAINER_MAX_TOKENS": "160",
        "DRAFTER_TEMPERATURE": "0",
    }.items():
        monkeypatch.setenv(name, value)


def test_a_page_drafted_through_llama_cpp_server_streams_and_cites_its_sources(
    model_server: ModelServer, sample_kb: SampleKb, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model_server.model == ALIAS  # the name /v1/models gives is the one to configure
    _point_at(model_server, sample_kb.settings.data_dir, monkeypatch)  # the store is only read
    services = Services(load_settings())
    llm = services.chat_backend()
    assert llm.remote
    seen = StreamLog()
    draft = draft_page(
        STATIN, retriever=services.retriever(), llm=llm, settings=services.settings, listener=seen
    )
    assert draft.error is None, draft.error
    assert draft.model == f"openai:{ALIAS}"
    assert draft.title
    assert len(draft.reply.split()) >= 5
    assert draft.explainer
    assert draft.sources
    assert [i for i in draft.citation_issues if i.kind == "unknown_source"] == []
    # Streamed: the pipeline passes text on a sentence at a time as it arrives (the title is
    # one), each piece while its part's stage (or its retry) is open, over seconds, not at once.
    assert [stage for stage, *_ in seen.of("title")] == ["title"]
    for part in ("reply", "explainer"):
        pieces = [p for p in seen.of(part) if p[0] == part or p[0].startswith(f"{part} (retry")]
        assert len(pieces) > 1, (part, seen.stages, pieces)
        assert pieces[-1][3] - pieces[0][3] > 0.05
    # what streamed is what was kept, but for the citations the evidence check added
    streamed = "".join(text for *_, text, _ in seen.of("reply"))
    assert _uncited(streamed).endswith(_uncited(draft.reply))


def test_a_server_that_goes_away_mid_reply_keeps_what_was_written_and_fails_clearly(
    model_server: ModelServer,
    sample_kb: SampleKb,
    desk: Desk,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _point_at(model_server, sample_kb.settings.data_dir, monkeypatch)
    monkeypatch.setenv("DRAFTER_DATABASE_URL", desk.url)
    services = Services(load_settings())
    q = desk.workflow.add_question(desk.doctor, STATIN.text, age_group="50-59", sex="male")

    class CrashAfterTheFirstReplySentence(StreamLog):
        def on_token(self, part: str, text: str) -> None:
            super().on_token(part, text)
            if part == "reply" and len(self.of("reply")) == 1:
                model_server.crash()

    seen = CrashAfterTheFirstReplySentence()
    drafted = draft_version(
        desk.workflow,
        desk.doctor,
        q,
        None,
        retriever=services.retriever(),
        llm=services.chat_backend(),
        settings=services.settings,
        listener=seen,
    )
    assert drafted.draft.error is not None
    assert f"the model backend (openai:{ALIAS}) failed" in drafted.draft.error
    [kept] = desk.workflow.versions(q.id)  # the cut-short draft is saved as version 1
    assert kept.number == 1
    assert kept.title == drafted.draft.title != ""
    first_sentence = seen.of("reply")[0][2]
    assert kept.reply == "".join(text for *_, text, _ in seen.of("reply")).strip()
    assert kept.reply.startswith(first_sentence.strip())

    # the next draft, with the server gone: one clear line, exit 4, version 1 untouched
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-pass-1")
    again = run_cli("questions", "draft", str(q.id), "--user", "doctor")
    assert again.code == 4
    assert again.err.startswith(
        f"drafter: error: the model wrote nothing (the model backend (openai:{ALIAS}) failed: "
    )
    assert again.err.rstrip().endswith("version 1 is unchanged")
    assert [(v.number, v.reply) for v in desk.workflow.versions(q.id)] == [(1, kept.reply)]
