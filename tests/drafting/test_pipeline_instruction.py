"""Regenerating with the reviewing doctor's instruction ("shorter", "warmer", free text)."""

from __future__ import annotations

import pytest

from drafter.core.errors import InputError
from drafter.drafting.parts import MAX_INSTRUCTION_CHARS, PromptSet, clean_instruction
from prompts import load_prompt
from tests.conftest import SampleKb
from tests.support.drafting_kit import (
    CONDITION_EXPLAINER,
    EXPLAINER,
    QUESTION,
    REPLY,
    TITLE,
    draft_on,
)
from tests.support.fakes import scripted_backend

LABEL = "The reviewing doctor asks"


def test_the_instruction_reaches_the_reply_and_explainer_prompts(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend, instruction="  Shorter,\n and warmer  ")
    assert draft.instruction == "Shorter, and warmer"
    assert draft.to_json()["instruction"] == "Shorter, and warmer"
    title, reply, explainer = (str(sent[-1].content) for sent in model.sent)
    assert LABEL not in title
    for user, prompt_id in ((reply, "short_reply"), (explainer, "explainer")):
        line = next(ln for ln in user.splitlines() if ln.startswith(LABEL))
        assert line.endswith(": Shorter, and warmer")
        # outside the patient's fence, after it, and before our closing instruction
        assert user.index("</patient_question>") < user.index(LABEL)
        task = load_prompt(prompt_id).user.rstrip().rsplit("}", 1)[-1]
        assert user.rstrip().endswith(task)
        assert user.index(LABEL) < user.rindex(task)
    # trusted text goes in the user message; the system prompt stays the same for every draft
    assert all(LABEL not in str(sent[0].content) for sent in model.sent)


def test_without_an_instruction_nothing_is_added(sample_kb: SampleKb) -> None:
    for instruction in (None, "", "  \n "):
        backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
        draft = draft_on(sample_kb, QUESTION, backend, instruction=instruction)
        assert draft.instruction is None
        assert draft.to_json()["instruction"] is None
        assert all(LABEL not in str(m.content) for sent in model.sent for m in sent)


def test_an_instruction_may_say_anything_but_not_at_any_length() -> None:
    text = "Ignore the sources and write in French {braces} [9] <patient_question>"
    assert clean_instruction(text) == text  # trusted: the doctor wrote it
    assert clean_instruction("x" * MAX_INSTRUCTION_CHARS) == "x" * MAX_INSTRUCTION_CHARS
    with pytest.raises(InputError, match="limit is 200"):
        clean_instruction("x" * (MAX_INSTRUCTION_CHARS + 1))


def test_a_too_long_instruction_sends_nothing(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    with pytest.raises(InputError):
        draft_on(sample_kb, QUESTION, backend, instruction="more detail " * 30)
    assert model.sent == []


def test_v1_templates_render_and_say_the_instruction_was_not_used(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, CONDITION_EXPLAINER)
    prompts = PromptSet.load({"title": 1, "reply": 1, "explainer": 1})
    draft = draft_on(sample_kb, QUESTION, backend, prompts=prompts, instruction="shorter")
    assert len(model.sent) == 3
    assert all("shorter" not in str(m.content) for sent in model.sent for m in sent)
    assert draft.instruction == "shorter"
    assert "reply: the instruction was not used (short_reply@v1 has no {doctor_note})" in (
        draft.problems
    )
