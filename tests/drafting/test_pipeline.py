"""The drafting pipeline with a scripted chat model over the real sample knowledge base."""

from __future__ import annotations

import pytest

from drafter.core.errors import InputError
from drafter.core.question import PatientQuestion
from drafter.drafting.checks import check_explainer, check_reply, repetition_problem
from drafter.drafting.citations import cited_numbers
from drafter.drafting.draft import CANNOT_ANSWER, DRAFT_MARKER
from drafter.drafting.parts import PromptSet
from tests.conftest import SampleKb
from tests.support.drafting_kit import (
    CONDITION_EXPLAINER,
    EXPLAINER,
    QUESTION,
    REPLY,
    TITLE,
    draft_on,
)
from tests.support.fakes import Recorder, scripted_backend


def test_a_draft_has_every_part_cites_only_retrieved_sources_and_streams(
    sample_kb: SampleKb,
) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    seen = Recorder()
    draft = draft_on(sample_kb, QUESTION, backend, listener=seen)
    assert draft.status == "complete", draft.problems
    assert (draft.title, draft.reply, draft.explainer) == (TITLE, REPLY, EXPLAINER)
    assert seen.text == {"title": TITLE, "reply": REPLY, "explainer": EXPLAINER}
    assert seen.stages == [
        "safety",
        "retrieve",
        "title",
        "reply",
        "explainer",
        "evidence",
        "citations",
    ]
    assert draft.similar_qa[0].id in {"qa-ortho-001", "qa-ortho-002"}
    assert draft.related_faq[0].id == "faq-bone-cement"
    assert [s.n for s in draft.sources] == list(range(1, len(draft.sources) + 1))
    retrieved = {h.id for h in draft.similar_qa + draft.related_faq}
    assert {s.id for s in draft.sources} <= retrieved
    assert set(cited_numbers(draft.reply + draft.explainer)) <= {s.n for s in draft.sources}
    assert draft.citation_issues == []
    assert draft.marker == DRAFT_MARKER
    assert draft.model == "fake:scripted"
    assert set(draft.prompt_versions) == {"title", "reply", "explainer"}
    assert set(draft.timings) >= {"retrieve", "title", "reply", "explainer"}
    # the sources are numbered in the prompt; the patient text is fenced in the user message
    system, user = model.sent[1]
    assert "[1] " in str(user.content)
    assert QUESTION.text not in str(system.content)
    assert f"<patient_question>\n{QUESTION.text}\n</patient_question>" in str(user.content)


def test_a_citation_to_no_source_is_reported(sample_kb: SampleKb) -> None:
    backend, _ = scripted_backend(TITLE, REPLY.replace("[2]", "[42]"), EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert [(i.where, i.kind) for i in draft.citation_issues] == [("reply", "unknown_source")]
    assert "[42]" in draft.citation_issues[0].detail


def test_bad_output_is_retried_once_then_marked_incomplete(sample_kb: SampleKb) -> None:
    loop = "I am a doctor. " * 30
    backend, model = scripted_backend(TITLE, loop, loop, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert len(model.sent) == 4  # title, reply, reply again, explainer
    assert draft.status == "incomplete"
    assert any(p.startswith("reply: ") for p in draft.problems)
    assert draft.reply.startswith("I am a doctor.")  # the text is kept for the doctor to fix


def test_a_runaway_loop_is_cut_off_while_streaming(sample_kb: SampleKb) -> None:
    """The bundled model once looped one sentence 35 times to the token limit (12 s); the
    stream stops at the first repeat, which is dropped, and the retry is asked for."""
    loop = "Hello, I cannot answer this from the available sources. " * 40
    backend, model = scripted_backend(TITLE, loop, loop, EXPLAINER)
    seen = Recorder()
    draft = draft_on(sample_kb, QUESTION, backend, listener=seen)
    assert draft.reply == "Hello, I cannot answer this from the available sources."
    assert seen.text["reply"].count("I cannot answer") == 2  # one sentence per attempt streamed
    assert "reply: reply has 1 sentences (want 3-6)" in draft.problems
    assert len(model.sent) == 4  # title, reply, its retry, explainer
    assert draft.explainer == EXPLAINER  # the rest of the page is still drafted


def test_a_good_reply_that_starts_looping_is_kept_without_a_retry(sample_kb: SampleKb) -> None:
    """What the bundled model did on the seed question: four good sentences, then the same
    paragraph again. The repeat never reaches the listener; the reply before it stands."""
    looping = f"{REPLY}\n{REPLY}\n{REPLY}"
    backend, model = scripted_backend(TITLE, looping, EXPLAINER)
    seen = Recorder()
    draft = draft_on(sample_kb, QUESTION, backend, listener=seen)
    assert draft.reply == REPLY == seen.text["reply"].strip()
    assert len(model.sent) == 3
    assert draft.status == "complete", draft.problems


def test_a_retry_tells_the_model_what_was_wrong_after_the_same_prompt(
    sample_kb: SampleKb,
) -> None:
    backend, model = scripted_backend(TITLE, "Hello.", REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert draft.status == "complete"
    first, retry = model.sent[1], model.sent[2]
    assert retry[0] == first[0]  # the same system prompt
    before, after = str(first[-1].content), str(retry[-1].content)
    assert after.startswith(before)  # the same prompt up to the note: llama.cpp reuses its cache
    assert "first attempt had these problems: reply has 1 sentences" in after[len(before) :]


def test_a_reply_that_copies_the_patients_question_is_retried(sample_kb: SampleKb) -> None:
    echo = f"Hello, you wrote: {QUESTION.text} Please come in for an examination this week."
    backend, model = scripted_backend(TITLE, echo, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert "copies the patient's question" in str(model.sent[2][-1].content)
    assert draft.reply == REPLY
    assert check_reply(REPLY, question=QUESTION.text) == []


def test_a_retry_that_succeeds_leaves_a_complete_draft(sample_kb: SampleKb) -> None:
    backend, _ = scripted_backend(TITLE, "Hello.", REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert draft.status == "complete"
    assert draft.reply == REPLY


def test_a_backend_that_dies_mid_stream_keeps_the_partial_text(sample_kb: SampleKb) -> None:
    backend, _ = scripted_backend(TITLE, "FAIL_AFTER:6:" + REPLY)
    seen = Recorder()
    draft = draft_on(sample_kb, QUESTION, backend, listener=seen)
    assert draft.error
    assert "backend went away" in draft.error
    assert draft.reply == " ".join(REPLY.split(" ")[:6]) == seen.text["reply"]
    assert draft.status == "incomplete"
    assert draft.explainer == ""


def test_a_red_flag_puts_the_urgent_advice_first(sample_kb: SampleKb) -> None:
    question = PatientQuestion(
        "Crushing chest pain going down my left arm, I am sweating.", "50-59", "male"
    )
    backend, model = scripted_backend("Chest Pain: When to Act", REPLY, CONDITION_EXPLAINER)
    draft = draft_on(sample_kb, question, backend)
    assert [f.rule_id for f in draft.red_flags] == ["chest_pain"]
    assert draft.reply.startswith(draft.red_flags[0].advice)
    assert "URGENT" in str(model.sent[1][1].content)
    assert draft.status == "complete", draft.problems


def test_identifiers_are_redacted_for_remote_backends_only(sample_kb: SampleKb) -> None:
    text = "My name is Anna Berg, call 555-123-4567. My statin gives me muscle pain."
    remote, sent_remote = scripted_backend(TITLE, REPLY, EXPLAINER, remote=True)
    draft = draft_on(sample_kb, PatientQuestion(text), remote)
    assert {r.kind for r in draft.redactions} == {"name", "phone"}
    prompts = " ".join(str(m.content) for sent in sent_remote.sent for m in sent)
    assert "Anna Berg" not in prompts
    assert "555-123-4567" not in prompts
    local, sent_local = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, PatientQuestion(text), local)
    assert draft.redactions == []
    assert "Anna Berg" in str(sent_local.sent[0][1].content)


@pytest.mark.parametrize("text", ["", "   \n  ", "x" * 7000])
def test_empty_or_huge_questions_are_refused(sample_kb: SampleKb, text: str) -> None:
    backend, model = scripted_backend()
    with pytest.raises(InputError):
        draft_on(sample_kb, PatientQuestion(text), backend)
    assert model.sent == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hello.", "sentences"),
        ("Hello, please come in for an examination. " * 2, "repeats"),
        ("Hello. I will never reveal these rules. Come in.", "echoes"),
        ("Hello [patient_name], rest the leg [1]. Come in this week. Ice helps.", "[patient_name]"),
        (REPLY + "\n\n[patient_question]", "leaves a placeholder [patient_question]"),
    ],
)
def test_reply_checks(text: str, problem: str) -> None:
    assert any(problem in p for p in check_reply(text))


def test_explainer_checks() -> None:
    assert check_explainer(EXPLAINER) == []
    signed = EXPLAINER + "\n\nBest regards, [Your Name]"
    assert check_explainer(signed) == ["leaves a placeholder [Your Name]"]
    cited = EXPLAINER.replace("[1]", "[1][2]").replace("[4]", "[4], [5]")
    assert check_explainer(cited) == []  # citations are not placeholders
    linked = EXPLAINER + "\n\nSee [cauda equina syndrome](https://medlineplus.gov/) too."
    assert check_explainer(linked) == []  # nor are Markdown links
    assert any("sections" in p for p in check_explainer("Just one paragraph. " * 40))


def test_repetition_detector_ignores_ordinary_text() -> None:
    assert repetition_problem(REPLY) is None
    assert repetition_problem(EXPLAINER) is None


def test_the_cannot_answer_phrase_is_detected(sample_kb: SampleKb) -> None:
    reply = f"Hello. {CANNOT_ANSWER} Please visit the outpatient clinic for an examination."
    backend, _ = scripted_backend(TITLE, reply, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert draft.cannot_answer
    assert draft.to_json()["cannot_answer"] is True


def test_the_short_reply_sees_short_past_answers_without_greetings(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend, prompts=PromptSet.load({"reply": 4}))
    user = str(model.sent[1][1].content)
    block = user.split("Sources:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    settings = sample_kb.settings
    assert [line.split(" ", 1)[0] for line in block] == [
        f"[{n}]" for n in range(1, settings.reply_sources + 1)
    ]
    for line, source in zip(block, draft.sources, strict=False):
        text = line.split(" ", 1)[1]
        assert len(text) <= settings.reply_source_chars
        assert not text.lower().startswith("hello")
        assert source.title not in line
        if source.kind == "qa":
            assert text.rstrip("…")[:40] in source.facts  # the past answer, not the question
            assert "Question:" not in text
