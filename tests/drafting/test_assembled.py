"""The floor under the explainer: a More Info assembled from the sources' own sentences when
the model's text fails its checks twice (or always, with explainer_mode="assembled")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from drafter.backends.base import LangChainBackend
from drafter.backends.local_model import BUNDLED
from drafter.core.question import PatientQuestion
from drafter.drafting.assembled import assemble_explainer, candidates, fixed_texts
from drafter.drafting.evidence import EvidenceChecker
from drafter.drafting.pipeline import draft_page
from drafter.drafting.sections import choose_plan, missing_headings
from drafter.drafting.sentences import strip_citations
from drafter.drafting.sources import Source
from tests.conftest import SampleKb
from tests.support.drafting_kit import draft_on
from tests.support.fakes import ScriptedChatModel, scripted_backend

STATIN = "Since starting atorvastatin two months ago my thighs ache. Should I stop the statin?"
FAQ = (
    "Statins lower LDL cholesterol and the risk of heart attack and stroke. "
    "Muscle aches are the side effect people notice most, yet most aches on statins have other "
    "causes. Take the statin at the same time every day, with or without food. "
    "Serious muscle damage from statins is rare. "
    "Go to the emergency department at once if your urine turns dark brown."
)
OTHER_PATIENT = (
    "Hello, you have had a kidney transplant, so the statin dose must stay low. "
    "We recommend a blood test for creatine kinase. "
    "Statins can cause muscle aches in some people, but serious muscle damage is rare. "
    "Go to the emergency department now if your urine turns dark."
)
SOURCES = [
    Source(1, "qa-1", "qa", "Muscle Aches on Statins", OTHER_PATIENT, None, OTHER_PATIENT),
    Source(2, "faq-statins", "faq", "Statins", FAQ, None, FAQ),
    Source(3, "faq-gout", "faq", "Gout", "Gout is a crystal arthritis of the big toe joint.", None),
]


@pytest.fixture(scope="module")
def vectors(sample_kb: SampleKb) -> EvidenceChecker:
    return EvidenceChecker(sample_kb.retriever.embedder)


def test_another_patients_facts_words_and_emergency_never_become_candidates() -> None:
    texts = [c.text for c in candidates(SOURCES, STATIN, flagged=False)]
    assert not [t for t in texts if "transplant" in t or "We recommend" in t]
    assert not [t for t in texts if "emergency" in t]
    assert "Statins can cause muscle aches in some people, but serious muscle damage is rare." in (
        texts
    )
    flagged = [c.text for c in candidates(SOURCES, STATIN, flagged=True)]
    assert any("emergency" in t for t in flagged)  # a flagged question may carry urgent advice


def test_the_article_has_the_planned_headings_and_only_cited_source_sentences(
    vectors: EvidenceChecker,
) -> None:
    plan = choose_plan(STATIN)
    article = assemble_explainer(plan.headings, SOURCES, STATIN, vectors.vectors)
    assert article is not None
    assert missing_headings(article, plan.headings) == []
    fixed = fixed_texts()
    body = [line for line in article.splitlines() if line and not line.startswith("## ")]
    sentences = [s for line in body for s in re.split(r"(?<=\.)\s+", line)]
    for sentence in sentences:
        if sentence in {fixed.opening, fixed.conclusion, fixed.empty_section, fixed.safety_net}:
            continue
        (n,) = re.findall(r"\[(\d)\]", sentence)
        plain = strip_citations(sentence).strip()
        assert plain.rstrip(".") in SOURCES[int(n) - 1].facts, sentence
    assert "gout" not in article.lower()  # another topic's source is left out
    assert "transplant" not in article
    assert article.endswith(fixed.conclusion)


def test_sources_that_cover_too_little_give_no_article(vectors: EvidenceChecker) -> None:
    plan = choose_plan(STATIN)
    assert assemble_explainer(plan.headings, SOURCES[2:], STATIN, vectors.vectors) is None
    assert assemble_explainer(plan.headings, [], STATIN, vectors.vectors) is None


def explainer_calls(model: Any) -> int:
    return sum("## " in str(messages[0].content) for messages in model.sent)


FAILING = "Statins are medicines. Ask your doctor."  # no planned section at all


def test_an_explainer_failing_twice_is_replaced_by_the_assembled_one(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend("Muscle Aches on a Statin", "Hello, ...", FAILING, FAILING)
    question = PatientQuestion(STATIN, "50-59", "male")
    draft = draft_on(sample_kb, question, backend)
    assert explainer_calls(model) == 2
    assert draft.explainer_origin == "assembled"
    assert FAILING not in draft.explainer
    assert missing_headings(draft.explainer, draft.sections) == []
    (note,) = [p for p in draft.problems if "assembled from sources" in p]
    assert "failed its checks twice" in note
    assert draft.status == "incomplete"  # the doctor is asked to confirm it
    assert draft.to_json()["explainer_origin"] == "assembled"


def test_assembled_mode_asks_the_model_for_no_explainer(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend("Muscle Aches on a Statin", "Hello, ...", "Hello, ...")
    settings = sample_kb.settings.model_copy(update={"explainer_mode": "assembled"})
    question = PatientQuestion(STATIN, "50-59", "male")
    draft = draft_page(question, retriever=sample_kb.retriever, llm=backend, settings=settings)
    assert explainer_calls(model) == 0
    assert draft.explainer_origin == "assembled"
    assert missing_headings(draft.explainer, draft.sections) == []
    assert not [p for p in draft.problems if p.startswith("explainer:")]


def test_auto_mode_assembles_with_the_bundled_model_and_lets_another_model_write(
    sample_kb: SampleKb,
) -> None:
    question = PatientQuestion(STATIN, "50-59", "male")
    assert sample_kb.settings.explainer_mode == "auto"  # the default
    written = "Hello, muscle aches on a statin are common [1]."
    asked = {}
    for model_id in (f"local:{BUNDLED.name}", "openai:gpt-4o-mini"):
        model = ScriptedChatModel(replies=["Muscle Aches on a Statin", written, written, written])
        backend = LangChainBackend(model, model_id, remote=False, retries=0)
        draft = draft_on(sample_kb, question, backend)
        asked[model_id] = explainer_calls(model)
        if model_id.startswith("local:"):
            assert draft.explainer_origin == "assembled"
    assert asked == {f"local:{BUNDLED.name}": 0, "openai:gpt-4o-mini": 2}
