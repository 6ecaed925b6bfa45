"""Evidence-first reply prompts: the short reply is shown the source sentences nearest the
question, each with its number, never another patient's facts or a past answer's words."""

from __future__ import annotations

import pytest

from drafter.drafting.evidence import EvidenceChecker
from drafter.drafting.facts import format_facts, no_facts, relevant_facts
from drafter.drafting.parts import PromptSet
from drafter.drafting.sources import Source
from tests.conftest import SampleKb
from tests.drafting.test_assembled import SOURCES, STATIN
from tests.support.drafting_kit import EXPLAINER, QUESTION, REPLY, TITLE, draft_on
from tests.support.fakes import scripted_backend


@pytest.fixture(scope="module")
def checker(sample_kb: SampleKb) -> EvidenceChecker:
    return EvidenceChecker(sample_kb.retriever.embedder)


def test_the_nearest_usable_sentences_come_first_each_with_its_source(
    checker: EvidenceChecker,
) -> None:
    facts = relevant_facts(SOURCES, STATIN, checker.vectors, flagged=False, k=3)
    assert 1 <= len(facts) <= 3
    assert "muscle" in facts[0].text.lower()  # the thigh ache on a statin, not the gout FAQ
    assert all(f.n in (1, 2) for f in facts)
    texts = " ".join(f.text for f in facts)
    assert "transplant" not in texts  # another patient's fact
    assert "We recommend" not in texts  # a past answer's words to its own patient
    assert "emergency" not in texts  # no flag: another patient's emergency is not this one's
    block = format_facts(SOURCES, STATIN, checker.vectors, flagged=False, k=3).splitlines()
    assert [line.split(" ", 1)[0] for line in block] == [f"[{f.n}]" for f in facts]


def test_k_bounds_the_block_and_no_fitting_sentence_shows_no_source_text(
    checker: EvidenceChecker,
) -> None:
    assert len(relevant_facts(SOURCES, STATIN, checker.vectors, flagged=False, k=1)) == 1
    gout = "Gout flares hurt."
    off_topic = [Source(1, "faq-gout", "faq", "Gout", gout, None, gout)]
    shown = format_facts(off_topic, STATIN, checker.vectors, flagged=False, k=6)
    assert shown == no_facts()
    assert "Gout" not in shown
    assert "[1]" not in shown


def test_an_evidence_first_prompt_shows_the_facts_and_the_reply_may_cite_them(
    sample_kb: SampleKb,
) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    prompts = PromptSet.load({"reply": 5})
    draft = draft_on(sample_kb, QUESTION, backend, prompts=prompts)
    user = str(model.sent[1][1].content)
    block = user.split("Sources:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    shown = sample_kb.settings.reply_sources
    assert 1 <= len(block) <= sample_kb.settings.reply_facts
    numbers = {int(line[1 : line.index("]")]) for line in block}
    assert numbers <= set(range(1, shown + 1))
    for line in block:
        n, text = int(line[1 : line.index("]")]), line.split("] ", 1)[1]
        assert text.rstrip(".")[:30].lower() in draft.sources[n - 1].facts.lower()
    assert "Question:" not in user.split("<patient_question>")[0]
    assert draft.prompt_versions["reply"].startswith("short_reply@v5#")
    assert not [i for i in draft.citation_issues if i.kind == "unknown_source"]
