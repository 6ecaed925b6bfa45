"""What goes into each part's prompt besides the sources: notes, the doctor's instruction, the
section plan, and the prompt versions a draft uses."""

from __future__ import annotations

from dataclasses import dataclass

from drafter.core.errors import InputError
from drafter.drafting.sections import SectionPlan, choose_plan, fallback_plan
from drafter.triage.red_flags import RedFlag
from prompts import PromptTemplate, load_prompt

MAX_INSTRUCTION_CHARS = 200
TITLE_MAX_TOKENS = 40


def urgent_note(flags: list[RedFlag]) -> str:
    if not flags:
        return ""
    labels = "; ".join(f.label for f in flags)
    return (
        f"URGENT: the question mentions warning signs ({labels}). The reply must first tell "
        "the patient to seek urgent care now.\n\n"
    )


def clean_instruction(instruction: str | None) -> str | None:
    """The reviewing doctor's request on one line; over MAX_INSTRUCTION_CHARS is refused."""
    text = " ".join((instruction or "").split())
    if len(text) > MAX_INSTRUCTION_CHARS:
        raise InputError(
            f"the instruction is {len(text)} characters; the limit is {MAX_INSTRUCTION_CHARS}"
        )
    return text or None


def doctor_note(instruction: str | None) -> str:
    """The doctor's request as a labelled line; unlike the patient's text it is to be followed."""
    if not instruction:
        return ""
    return f"The reviewing doctor asks (a trusted instruction; keep the rules): {instruction}\n\n"


def section_plan(text: str, explainer: PromptTemplate) -> SectionPlan:
    """The plan chosen for the question; a template without {sections} asks for the fallback's."""
    return choose_plan(text) if "sections" in explainer.variables else fallback_plan()


def with_urgent_sentence(reply: str, flags: list[RedFlag]) -> str:
    """A flagged question's reply always starts with the urgent-care advice of its first rule."""
    if not flags:
        return reply
    advice = flags[0].advice
    return reply if advice.lower() in reply.lower() else f"{advice} {reply}".strip()


@dataclass(frozen=True)
class PromptSet:
    title: PromptTemplate
    reply: PromptTemplate
    explainer: PromptTemplate

    @classmethod
    def load(cls, versions: dict[str, int] | None = None) -> PromptSet:
        v = versions or {}
        return cls(
            load_prompt("title", v.get("title")),
            load_prompt("short_reply", v.get("reply")),
            load_prompt("explainer", v.get("explainer")),
        )
