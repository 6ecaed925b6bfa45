"""The real bundled local model, end to end (slow: runs llama.cpp on the CPU; runs in CI)."""

from __future__ import annotations

import pytest

from drafter.backends.factory import make_chat_backend
from drafter.backends.local_model import BUNDLED, resolve_local_model
from drafter.core.question import PatientQuestion
from drafter.drafting.pipeline import draft_page
from drafter.drafting.sentences import strip_citations
from tests.conftest import MakeSettings, SampleKb
from tests.support.fakes import Recorder

pytestmark = pytest.mark.slow


def test_the_bundled_model_is_assembled_and_verified(make_settings: MakeSettings) -> None:
    path = resolve_local_model(make_settings())
    assert path.name == BUNDLED.name
    assert path.stat().st_size == BUNDLED.size
    assert path.read_bytes()[:4] == b"GGUF"


def test_a_real_local_draft_end_to_end(sample_kb: SampleKb) -> None:
    settings = sample_kb.settings.model_copy(
        update={"reply_max_tokens": 160, "explainer_max_tokens": 360, "temperature": 0.0}
    )
    llm = make_chat_backend(settings, "local")
    seen = Recorder()
    question = PatientQuestion(
        "Since starting atorvastatin two months ago my thighs ache. Should I stop the statin?",
        "50-59",
        "male",
    )
    draft = draft_page(
        question, retriever=sample_kb.retriever, llm=llm, settings=settings, listener=seen
    )
    assert draft.error is None
    assert draft.model == f"local:{BUNDLED.name}"
    assert draft.title
    assert len(draft.reply.split()) >= 5
    assert draft.explainer
    # what streamed is what was kept (the reply may gain an urgent sentence; none here)
    assert draft.red_flags == []
    # a retry streams twice; the evidence check may add a supported sentence's [n] afterwards
    assert strip_citations(seen.text["reply"]).strip().endswith(strip_citations(draft.reply))
    assert draft.similar_qa[0].id in {"qa-cardio-003", "qa-cardio-004"}
    assert draft.timings["reply"] > 0
