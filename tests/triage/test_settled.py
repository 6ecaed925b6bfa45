"""A flag the patient then says was checked, is long-standing or is over, across sentences; and
a flag resting on words the patient negates."""

from __future__ import annotations

import pytest

from drafter.triage.stage import lexicon_findings


def categories(text: str) -> list[str]:
    return sorted(f.category for f in lexicon_findings(text))


@pytest.mark.parametrize(
    "text",
    [
        # checked and found clear
        "My husband, 77, on warfarin, fell and hit his head on Saturday. We went to A&E, they "
        "did a CT scan straight away and it was clear, and he's been completely normal since.",
        "Face drooping on one side since yesterday, but I've been to A&E and they said it's "
        "Bell's palsy, not a stroke. How do I protect my eye at night?",
        # long-standing
        "My father is 80 and has had stress incontinence for years since his prostate op, "
        "nothing new. Can he use a heat pad at night?",
        # over, where over means it
        "I cut my finger, lots of blood at first, it stopped after I pressed for 10 minutes.",
    ],
)
def test_a_flag_checked_long_standing_or_over_is_settled(text: str) -> None:
    assert categories(text) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # stroke signs that pass are a TIA: still a flag
        ("At lunch his face looked droopy on the right side and his words were all muddled. "
         "He says he's fine now and wants a nap.", "stroke"),
        # the scan was clear, then it changed
        ("He fell and hit his head, he's on warfarin. The scan was clear but now he keeps "
         "being sick and is confused.", "head_injury_anticoagulant"),
        # advice to come back if worse is not a change, but a return is
        ("I cut my hand and it is bleeding heavily, soaked three towels. It stopped for a bit "
         "but it came back an hour ago.", "heavy_bleeding"),
        # suicidal thoughts are never settled by the patient's reassurance
        ("I keep thinking about killing myself. It's fine now, honestly, it was a joke.",
         "suicidal_thoughts"),
    ],
)  # fmt: skip
def test_a_flag_that_comes_back_passes_or_matters_anyway_stays(text: str, flag: str) -> None:
    assert flag in categories(text)


def test_a_required_word_negated_everywhere_drops_the_flag() -> None:
    bumped = "I bumped my head on the cupboard this morning, small red mark."
    assert categories(bumped + " I'm on warfarin.") == ["head_injury_anticoagulant"]
    assert categories(bumped + " I'm not on any blood thinners or aspirin.") == []
