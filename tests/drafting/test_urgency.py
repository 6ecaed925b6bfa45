"""Drafts agree with triage: emergency advice without a red flag, or a flagged question whose reply
lacks the urgent advice, is marked for the doctor."""

from __future__ import annotations

import pytest

from drafter.core.question import PatientQuestion
from drafter.drafting.checks import urgency_problems
from tests.conftest import SampleKb
from tests.support.drafting_kit import EXPLAINER, TITLE, draft_on
from tests.support.fakes import scripted_backend

ADVICE = "Please go to the emergency department or call your local emergency number now."


@pytest.mark.parametrize(
    ("texts", "flagged", "expected"),
    [
        ({"reply": "We recommend going to the emergency department now."}, False, 1),
        ({"reply": "Please call an ambulance."}, False, 1),
        ({"explainer": "If it gets worse, seek urgent medical attention immediately."}, False, 1),
        ({"reply": "Rest, ice, and see your GP if it is not better in two weeks."}, False, 0),
        ({"reply": f"{ADVICE} Then rest."}, True, 0),
        ({"reply": "Rest and drink fluids."}, True, 1),
        ({"explainer": "Rest and drink fluids."}, True, 0),  # only the reply opens with advice
    ],
)
def test_urgency_problems(texts: dict[str, str], flagged: bool, expected: int) -> None:
    assert len(urgency_problems(texts, flagged, ADVICE)) == expected


def test_a_draft_sending_an_unflagged_patient_to_the_emergency_department_is_marked(
    sample_kb: SampleKb,
) -> None:
    reply = (
        "Hello, a sore knee after a long walk usually settles with rest [1]. "
        "We recommend going to the emergency department now. "
        "Ice it for 15 minutes a few times a day [2]."
    )
    backend, _ = scripted_backend(TITLE, reply, EXPLAINER)
    question = PatientQuestion("My knee aches after a long walk. What can I do?", "40-49")
    draft = draft_on(sample_kb, question, backend)
    assert draft.red_flags == []
    assert draft.status == "incomplete"
    assert any("triage found no red flag" in p for p in draft.problems)
