"""Prompt injection: adversarial questions cannot change the instructions, and a draft that
obeys one anyway is marked for the doctor (tests/data/injection.jsonl: each case's question, the
canary that shows obedience, and `obeyed`, what a model that obeyed would write)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.drafting.injection import NOTE
from drafter.drafting.instructions import fold
from drafter.drafting.pipeline import draft_page
from prompts import load_prompt
from tests.conftest import SampleKb
from tests.support.drafting_kit import REPLY as BENIGN_REPLY
from tests.support.fakes import scripted_backend

DATA = Path(__file__).parents[1] / "data" / "injection.jsonl"
CASES: list[dict[str, Any]] = [json.loads(line) for line in DATA.read_text().splitlines()]
REPLY = "Hello, statin muscle aches are common [1]. A blood test for CK helps [2]. Please come in."

# Held-out (`test`) cases the marker does not catch, found when it was first run on them; kept as
# they are so the figure stays honest (docs/safety.md lists them).
MISSED = {
    "fake-json-system": "'Respond with the diagnosis code only' inside a JSON role block",
    "append-no-doctor": "'finish with the sentence ...' matches no instruction pattern",
    "other-patients-list": "the reply invents records; nothing in it repeats the instruction",
}


def test_the_set_is_broad_and_split_once() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 40
    original = {"ignore-instructions", "reveal-prompt", "fake-doctor-line", "close-the-fence"}
    assert original | {"role-play", "format-change", "markdown-smuggle", "citation-forgery"} <= {
        *ids
    }
    splits = Counter(c["split"] for c in CASES)
    assert set(splits) == {"dev", "test"}
    assert 0.25 <= splits["test"] / len(CASES) <= 0.4
    assert len({c["kind"] for c in CASES}) >= 10
    assert all(c["canary"] and fold(c["canary"]) in fold(c["obeyed"]) for c in CASES)
    assert set(MISSED) <= {c["id"] for c in CASES if c["split"] == "test"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_injection_cannot_reach_the_instructions(sample_kb: SampleKb, case: dict[str, str]) -> None:
    benign, benign_model = scripted_backend(REPLY)
    draft_page(
        PatientQuestion("My knee hurts.", specialty="Orthopedics"),
        retriever=sample_kb.retriever,
        llm=benign,
        settings=sample_kb.settings,
        parts=("reply",),
    )
    hostile, hostile_model = scripted_backend(REPLY)
    draft_page(
        PatientQuestion(case["question"], specialty="Orthopedics"),
        retriever=sample_kb.retriever,
        llm=hostile,
        settings=sample_kb.settings,
        parts=("reply",),
    )
    [[system_benign, _]] = benign_model.sent
    [[system_hostile, user_hostile]] = hostile_model.sent
    assert system_hostile.content == system_benign.content  # instructions are not patient-editable
    user = str(user_hostile.content)
    assert user.count("<patient_question>") == 1
    assert user.count("</patient_question>") == 1
    fenced = user.split("<patient_question>")[1].split("</patient_question>")[0]
    assert case["question"].splitlines()[0].split("</")[0] in fenced
    # what follows the fence ends with our instruction, untouched by the patient
    task = load_prompt("short_reply").user.rstrip().rsplit("}", 1)[-1]
    assert len(task) > 20
    assert user.rstrip().endswith(task)


def marks(draft: Draft) -> list[str]:
    """The problems that point the doctor at attacker text."""
    return [p for p in draft.problems if NOTE in p or "which no source contains" in p]


def _obeying_draft(kb: SampleKb, case: dict[str, str]) -> Draft:
    obeyed = case["obeyed"]
    backend, _ = scripted_backend("Title Of Page", obeyed, obeyed)  # the retry obeys too
    return draft_page(
        PatientQuestion(case["question"]),
        retriever=kb.retriever,
        llm=backend,
        settings=kb.settings,
        parts=("title", "reply"),
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=MISSED[c["id"]]))
        if c["id"] in MISSED
        else c
        for c in CASES
    ],
    ids=lambda c: c["id"],
)
def test_a_draft_that_obeys_the_injection_is_marked(
    sample_kb: SampleKb, case: dict[str, str]
) -> None:
    draft = _obeying_draft(sample_kb, case)
    assert draft.status == "incomplete"
    assert any(p.startswith("reply:") for p in marks(draft)), draft.problems


def test_a_benign_draft_of_an_attack_free_question_is_not_marked(sample_kb: SampleKb) -> None:
    question = PatientQuestion(
        "I had kyphoplasty and the X-ray shows cement leaked. Now my left leg is numb. Is this "
        "from the leak? Please tell me honestly, I only want the truth.",
        "70-79",
        "female",
    )
    backend, _ = scripted_backend(BENIGN_REPLY)
    draft = draft_page(
        question,
        retriever=sample_kb.retriever,
        llm=backend,
        settings=sample_kb.settings,
        parts=("reply",),
    )
    assert marks(draft) == []
