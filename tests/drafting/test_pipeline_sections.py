"""Explainer section plans: the shipped plans, the keyword rules, and the planned-heading check."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.core.question import PatientQuestion
from drafter.drafting.checks import check_explainer
from drafter.drafting.citations import UNCITED_OK
from drafter.drafting.parts import PromptSet
from drafter.drafting.sections import (
    choose_plan,
    fallback_plan,
    format_headings,
    load_plans,
    missing_headings,
    parse_plans,
)
from prompts import PromptError, load_prompt
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


@pytest.mark.parametrize(
    ("question", "plan"),
    [
        ("I'm 9 weeks pregnant and have cramps. Is that normal?", "pregnancy"),
        ("Can I take ibuprofen while breastfeeding?", "pregnancy"),  # pregnancy before medication
        ("I have panic attacks at work and can't sleep.", "mental_health"),
        ("Since my depression got worse I stopped my tablets.", "mental_health"),
        ("I had kyphoplasty and cement leaked; my leg is numb.", "procedure"),
        ("Is it normal to bleed a little after my colonoscopy?", "procedure"),
        ("My knee still swells 3 months after surgery.", "procedure"),
        ("Since starting atorvastatin my thighs ache. Should I stop the statin?", "medication"),
        ("What dose of paracetamol is safe for my back?", "medication"),
        ("My blood test shows ferritin levels of 8. What does that mean?", "test_result"),
        ("The MRI report says mild disc bulge at L4-L5.", "test_result"),
        ("My X-rays came back abnormal.", "test_result"),
        ("I have had a cough and a sore throat for two weeks.", "condition"),
        ("What causes heel pain in the morning?", "condition"),
        # a medicine or a test only mentioned beside symptoms: the question is about the symptoms
        (
            "I have had crushing chest pressure for half an hour spreading to my jaw. I am "
            "sweating. I already take aspirin every day. Should I wait?",
            "condition",
        ),
        (
            "I'm 58. When I climb stairs my knee hurts on the inside and it swells by evening. "
            "Should I get an MRI or try physiotherapy first?",
            "condition",
        ),
        ("My knee hurts and the ibuprofen I took did not help.", "condition"),
        ("Is there anything I can take for the pain that isn't ibuprofen based?", "medication"),
        ("My blood test shows ferritin levels of 8 and I feel tired.", "test_result"),
        ("Can I take ibuprofen with my blood pressure pills?", "medication"),
    ],
)
def test_the_plan_fits_the_kind_of_question(question: str, plan: str) -> None:
    assert choose_plan(question).id == plan


def test_a_flagged_question_is_never_a_medication_leaflet_or_a_result_explainer() -> None:
    question = "Should I chew an aspirin? What does my ECG result mean?"
    assert choose_plan(question).id == "medication"
    assert choose_plan(question, flagged=True).id == "condition"
    assert choose_plan("I'm 9 weeks pregnant, can I take aspirin?", flagged=True).id == "pregnancy"


@pytest.mark.parametrize(
    "question",
    [
        "I have a stress fracture in my foot.",  # "stress" is not a keyword, only "stressed"
        "My pain level is 7 out of 10 in my knee.",  # a pain level is not a lab result
        "Is labor pain in my back normal?",  # "lab" is not a keyword, only "labs"
        "My drugstore is closed; how do I treat a sprained ankle?",  # "drug" is a whole word
        "Is there a drug-free way to treat heartburn?",  # nor is "drug" in "drug-free"
    ],
)
def test_words_that_only_look_like_keywords_choose_no_plan(question: str) -> None:
    assert choose_plan(question).id == "condition"


def test_the_shipped_plans_are_consistent_with_the_prompts_and_the_citation_check() -> None:
    plans = load_plans()
    assert [p.id for p in plans][-1] == "condition" == fallback_plan().id
    for plan in plans:
        # the explainer prompt says every section except the last two must cite a source
        assert all(h.lower() in UNCITED_OK for h in plan.headings[-2:]), plan.id
        assert all(h.lower() not in UNCITED_OK for h in plan.headings[:-2]), plan.id
    # explainer v1 lists a fixed set: the fallback plan's headings, in order
    assert format_headings(fallback_plan().headings) in load_prompt("explainer", 1).system


GOOD = """
[[plan]]
id = "a"
description = "d"
keywords = ["x*"]
headings = ["One", "Two", "Conclusion"]

[[plan]]
id = "b"
description = "fallback"
keywords = []
headings = ["Symptoms", "Causes", "Conclusion"]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plan = 3", "at least one"),
        ("[[plan", "TOML"),
        (GOOD.replace('id = "b"', 'id = "a"'), "repeat"),
        (GOOD.replace("keywords = []", 'keywords = ["y"]'), "fallback"),
        (GOOD.replace('keywords = ["x*"]', "keywords = []"), "fallback"),
        (GOOD.replace('"One", "Two", ', ""), "3-8 distinct"),
        (GOOD.replace('"Two"', '"one"'), "3-8 distinct"),
        (GOOD.replace('"Two"', '"## Two"'), "holds"),
        (GOOD.replace('description = "d"\n', ""), "exactly id, description"),
        (GOOD.replace('["x*"]', '["*"]'), "non-empty"),
        (GOOD.replace('keywords = ["x*"]', 'keywords = ["x*"]\nfocus = ["y"]'), "symptoms list"),
        (GOOD.replace('keywords = ["x*"]', 'keywords = ["x*"]\nextra = 1'), "maybe focus"),
        ('symptoms = "pain"\n' + GOOD, "symptoms: must be a list"),
    ],
)
def test_malformed_plan_files_fail_at_load(text: str, message: str) -> None:
    with pytest.raises(PromptError, match=message):
        parse_plans(text, "sections.toml")


def test_a_parsed_plan_file_is_used_in_order() -> None:
    plans = parse_plans(GOOD)
    assert choose_plan("xylophone lessons", plans).id == "a"
    assert choose_plan("nothing here", plans).id == "b"


def test_a_plan_with_focus_words_yields_to_symptoms_unless_a_focus_word_is_there() -> None:
    focused = 'symptoms = ["ache*"]\n' + GOOD.replace(
        'keywords = ["x*"]', 'keywords = ["x*"]\nfocus = ["how to"]'
    )
    plans = parse_plans(focused)
    assert choose_plan("xylophone lessons", plans).id == "a"
    assert choose_plan("xylophone lessons make my hands ache", plans).id == "b"
    assert choose_plan("how to hold a xylophone when my hands ache", plans).id == "a"


def test_missing_headings_ignore_case_punctuation_and_extra_words() -> None:
    text = "## Side effects of statins\ntext\n## WHEN TO SEE A DOCTOR:\ntext\n## Conclusion"
    planned = ["What it is for", "Side effects", "When to see a doctor", "Conclusion"]
    assert missing_headings(text, planned) == ["What it is for"]
    assert missing_headings("Side effects are rare.", ["Side effects"]) == ["Side effects"]


def test_check_explainer_reports_a_missing_planned_section() -> None:
    plan = choose_plan(QUESTION.text)
    assert check_explainer(EXPLAINER, plan.headings) == []
    without = EXPLAINER.replace("## Possible complications", "## Risks")
    assert check_explainer(without, plan.headings) == [
        "explainer lacks planned sections: Possible complications"
    ]


def test_the_draft_records_the_plan_and_the_prompt_asks_for_it(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert draft.status == "complete", draft.problems
    assert draft.section_plan == "procedure"
    assert draft.sections == list(choose_plan(QUESTION.text).headings)
    assert draft.to_json()["sections"] == draft.sections
    assert draft.to_json()["section_plan"] == "procedure"
    system = str(model.sent[2][0].content)
    assert format_headings(draft.sections) in system


def test_a_missing_planned_section_is_retried_once_then_assembled_and_incomplete(
    sample_kb: SampleKb,
) -> None:
    symptoms_only = EXPLAINER.replace("## About the procedure", "## Symptoms")
    backend, model = scripted_backend(TITLE, REPLY, symptoms_only, symptoms_only)
    draft = draft_on(sample_kb, QUESTION, backend)
    assert len(model.sent) == 4  # title, reply, explainer, explainer again
    assert draft.status == "incomplete"
    assert draft.problems == [
        "explainer: assembled from sources (the model's text failed its checks twice: "
        "explainer lacks planned sections: About the procedure)"
    ]
    assert draft.explainer_origin == "assembled"  # the failed text is not kept
    assert draft.explainer != symptoms_only
    assert missing_headings(draft.explainer, draft.sections) == []


def test_explainer_v1_asks_for_and_is_checked_against_the_fixed_sections(
    sample_kb: SampleKb,
) -> None:
    backend, model = scripted_backend(TITLE, REPLY, CONDITION_EXPLAINER)
    prompts = PromptSet.load({"reply": 1, "explainer": 1})
    draft = draft_on(sample_kb, QUESTION, backend, prompts=prompts)
    assert draft.status == "complete", draft.problems
    assert draft.section_plan == "condition"
    assert draft.prompt_versions["explainer"].startswith("explainer@v1#")
    assert len(model.sent) == 3


def test_a_question_without_plan_keywords_gets_the_fallback(sample_kb: SampleKb) -> None:
    backend, model = scripted_backend(TITLE, REPLY, CONDITION_EXPLAINER)
    draft = draft_on(sample_kb, PatientQuestion("My heel hurts every morning."), backend)
    assert draft.section_plan == "condition"
    assert "## Symptoms, ## Causes, ## Management" in str(model.sent[2][0].content)
    assert draft.status == "complete", draft.problems


def test_docs_list_every_plan_with_its_sections() -> None:
    safety = (Path(__file__).resolve().parents[2] / "docs" / "safety.md").read_text("utf-8")
    for plan in load_plans():
        row = next(ln for ln in safety.splitlines() if ln.startswith(f"| `{plan.id}` |"))
        assert row.rstrip(" |").endswith(", ".join(plan.headings)), plan.id


def test_a_flagged_question_that_names_a_medicine_gets_the_symptoms_plan(
    sample_kb: SampleKb,
) -> None:
    question = PatientQuestion(
        "Crushing chest pain spreading to my jaw for 30 minutes. Should I take an aspirin?",
        "60-69",
        "male",
    )
    assert choose_plan(question.text).id == "medication"  # unflagged, it would be a leaflet
    backend, _ = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_on(sample_kb, question, backend, parts=("title",))
    assert draft.red_flags
    assert draft.section_plan == "condition"
