"""The seed question and a scripted page that the drafting tests share."""

from __future__ import annotations

from typing import Any

from drafter.backends.base import ChatBackend
from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft
from drafter.drafting.pipeline import draft_page
from tests.conftest import SampleKb


def draft_on(kb: SampleKb, question: PatientQuestion, llm: ChatBackend, **kw: Any) -> Draft:
    """draft_page over the shared sample knowledge base and its settings."""
    return draft_page(question, retriever=kb.retriever, llm=llm, settings=kb.settings, **kw)


TITLE = "Bone Cement Leakage After Kyphoplasty: Symptoms and Care"
REPLY = (
    "Hello, a small cement leak is common after kyphoplasty and often causes no symptoms [1]. "
    "New numbness in the leg needs a physical examination and a CT scan [2]. "
    "Please visit the outpatient clinic this week, sooner if the leg gets weaker."
)
EXPLAINER = (  # the "procedure" plan's sections: QUESTION mentions a kyphoplasty
    "Cement leakage can follow kyphoplasty, and it is worth understanding what it means [1].\n\n"
    "## About the procedure\nKyphoplasty fills a broken vertebra with bone cement [4].\n\n"
    "## Possible complications\nMost leaks cause no symptoms; some cause back pain or leg "
    "numbness, more often in fragile, osteoporotic vertebrae [1].\n\n"
    "## Recovery and management\nA physical exam and a CT scan decide the next step; most leaks "
    "need only follow-up and pain control [2].\n\n"
    "## When to see a doctor\nCome in this week, sooner if the leg gets weaker.\n\n"
    "## Conclusion\nMost people recover well; keep your follow-up appointments."
)
# the fallback ("condition") plan's sections, which explainer v1 always asks for
CONDITION_EXPLAINER = (
    EXPLAINER.replace("## About the procedure", "## Symptoms")
    .replace("## Possible complications", "## Causes")
    .replace("## Recovery and management", "## Management")
)
QUESTION = PatientQuestion(
    "I had kyphoplasty and the X-ray shows cement leaked. Now my left leg is numb. Is this from "
    "the leak?",
    "70-79",
    "female",
)
