"""The optional LLM judge: it turns a supported sentence the model reads as contradicted by its
source into `contradicted` (method `llm`), never removes a mark, asks only about supported
sentences, keeps its answers for re-checks, and a failing or rambling model changes nothing."""

from __future__ import annotations

import json

from drafter.drafting.evidence import EvidenceChecker, SourceText
from drafter.drafting.judge import EvidenceJudge, parse_judgement
from drafter.services import Services
from tests.conftest import MakeSettings, SampleKb
from tests.support.drafting_kit import EXPLAINER, QUESTION, TITLE, draft_on
from tests.support.drafting_kit import REPLY as PAGE_REPLY
from tests.support.fakes import scripted_backend

SOURCES = [
    SourceText(1, "Ibuprofen should not be taken in the last three months of pregnancy."),
    SourceText(2, "Paracetamol is the usual first choice for pain relief during pregnancy."),
]
ASKED = "I am 30 weeks pregnant. Can I take ibuprofen for back pain?"
REPLY = (
    "Ibuprofen should not be taken in the last three months of pregnancy [1]. "
    "Paracetamol is the usual first choice for pain relief during pregnancy [2]. "
    "Acupuncture cures most back pain within a single session."
)


def _answer(*verdicts: str) -> str:
    return json.dumps([{"pair": i, "verdict": v} for i, v in enumerate(verdicts, 1)])


def _checks(sample_kb: SampleKb, reply: str = REPLY) -> list:
    checker = EvidenceChecker(sample_kb.retriever.embedder)
    return checker.check({"reply": reply}, asked=ASKED, sources=SOURCES, flagged=False)


def test_a_sentence_the_model_reads_as_contradicted_is_marked_red(sample_kb: SampleKb) -> None:
    checks = _checks(sample_kb)
    assert [c.verdict for c in checks] == ["supported", "supported", "unsupported"]
    backend, model = scripted_backend(_answer("supports", "contradicts"))
    judged = EvidenceJudge(backend, timeout=30)(checks)
    assert [c.verdict for c in judged] == ["supported", "contradicted", "unsupported"]
    assert judged[1].method == "llm"
    assert "[2]" in judged[1].note
    assert judged[1].evidence == checks[1].evidence  # the source sentence is still shown
    (prompt,) = model.sent
    asked = prompt[-1].content
    # only the supported sentences are asked about, each beside its source sentence
    assert asked.count("<pair") == 2
    assert "Acupuncture" not in asked
    assert "SOURCE: Paracetamol is the usual first choice" in asked
    assert "[2]" not in asked  # citations are not the model's business
    assert "never instructions" in prompt[0].content


def test_supports_or_unrelated_never_removes_a_mark_or_changes_a_verdict(
    sample_kb: SampleKb,
) -> None:
    checks = _checks(sample_kb)
    backend, _ = scripted_backend(_answer("unrelated", "supports"))
    assert EvidenceJudge(backend, timeout=30)(checks) == checks


def test_answers_are_kept_so_a_recheck_asks_only_about_changed_sentences(
    sample_kb: SampleKb,
) -> None:
    backend, model = scripted_backend(_answer("contradicts", "supports"), _answer("supports"))
    judge = EvidenceJudge(backend, timeout=30)
    judge(_checks(sample_kb))
    # without asking, the earlier answer still marks the unchanged sentence
    again = judge(_checks(sample_kb), ask=False)
    assert [c.verdict for c in again][:2] == ["contradicted", "supported"]
    assert len(model.sent) == 1
    edited = REPLY.replace("Paracetamol is the usual", "Paracetamol is usually the")
    judged = judge(_checks(sample_kb, edited))
    assert len(model.sent) == 2
    assert model.sent[1][-1].content.count("<pair") == 1
    assert [c.verdict for c in judged][:2] == ["contradicted", "supported"]


def test_a_failed_call_or_an_unreadable_answer_changes_nothing(sample_kb: SampleKb) -> None:
    checks = _checks(sample_kb)
    for reply in ("FAIL_AFTER:1:[{", "I think they mostly agree."):
        backend, _ = scripted_backend(reply)
        judge = EvidenceJudge(backend, timeout=30)
        assert judge(checks) == checks
        assert judge.last_error


def test_the_answer_is_read_by_pair_number_and_odd_items_are_skipped() -> None:
    reply = 'Sure: ```json\n[{"pair": 2, "verdict": "Contradicts"}, {"pair": 9, "verdict": "x"}]```'
    assert parse_judgement(reply, 2) == {2: "contradicts"}
    assert parse_judgement('[{"verdict": "supports"}, {"verdict": "maybe"}]', 2) == {1: "supports"}


def test_the_judge_is_a_setting_off_by_default(make_settings: MakeSettings) -> None:
    assert Services(make_settings()).evidence_judge() is None
    services = Services(make_settings(check_judge=True))
    judge = services.evidence_judge()
    assert isinstance(judge, EvidenceJudge)
    assert services.evidence_judge() is judge  # one per process: its answers are kept


def test_with_the_setting_on_a_draft_is_judged_by_its_own_model(sample_kb: SampleKb) -> None:
    settings = sample_kb.settings.model_copy(update={"check_judge": True})
    kb = SampleKb(settings, sample_kb.retriever, sample_kb.reports)
    backend, model = scripted_backend(TITLE, PAGE_REPLY, EXPLAINER, _answer(*["contradicts"] * 24))
    draft = draft_on(kb, QUESTION, backend)
    judged = [s for s in draft.sentences if s.method == "llm"]
    assert judged
    assert all(s.verdict == "contradicted" for s in judged)
    assert len(model.sent) == 4  # title, reply, explainer, then one call for the whole page
    assert any("contradicted" in p for p in draft.problems)
    # off (the default), the same page makes no fourth call and has no model verdict
    backend, model = scripted_backend(TITLE, PAGE_REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert len(model.sent) == 3
    assert not any(s.method == "llm" for s in draft.sentences)
