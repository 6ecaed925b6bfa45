"""What goes into each part's prompt besides the sources: notes, the doctor's instruction, the
section plan, and the prompt versions a draft uses (the parts themselves are in specs.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from drafter.core.errors import InputError
from drafter.drafting.draft import Part
from drafter.drafting.sections import SectionPlan, choose_plan, fallback_plan
from drafter.drafting.specs import PART_NAMES, PART_SPECS
from drafter.triage.findings import Finding
from prompts import PROMPTS_DIR, PromptError, PromptTemplate, load_prompt

MAX_INSTRUCTION_CHARS = 200


def urgent_note(flags: Sequence[Finding]) -> str:
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


def section_plan(text: str, explainer: PromptTemplate, *, flagged: bool = False) -> SectionPlan:
    """The plan chosen for the question (`flagged`: triage found a red flag); a template without
    {sections} asks for the fallback's."""
    if "sections" not in explainer.variables:
        return fallback_plan()
    return choose_plan(text, flagged=flagged)


@dataclass(frozen=True)
class PromptSet:
    """The template each part of a page is drafted from."""

    title: PromptTemplate
    reply: PromptTemplate
    explainer: PromptTemplate

    @classmethod
    def load(cls, versions: dict[str, int] | None = None) -> PromptSet:
        """Each part's template at the version `versions` names, else its newest."""
        v = versions or {}
        return cls(**{s.name: load_prompt(s.prompt_id, v.get(s.name)) for s in PART_SPECS})

    def __getitem__(self, part: Part) -> PromptTemplate:
        template: PromptTemplate = getattr(self, part)
        return template


def prompt_versions(prompt_id: str) -> list[int]:
    found = (re.fullmatch(r"v(\d+)\.md", p.name) for p in (PROMPTS_DIR / prompt_id).glob("v*.md"))
    return sorted(int(m.group(1)) for m in found if m)


def parse_prompt_spec(spec: str | Sequence[str] | None) -> dict[str, int]:
    """Prompt versions from `--prompt` values (comma-separated or repeated): `vN` puts every
    part at its newest version up to N (title has only v1), `PART=N` names one part's version
    and wins over `vN`; parts not named stay at their newest."""
    pieces = [spec] if isinstance(spec, str) else list(spec or [])
    items = [p.strip() for piece in pieces for p in piece.split(",") if p.strip()]
    out: dict[str, int] = {}
    for item in (i for i in items if re.fullmatch(r"v\d+", i)):
        wanted = int(item[1:])
        for row in PART_SPECS:
            older = [v for v in prompt_versions(row.prompt_id) if v <= wanted]
            if not older:
                raise InputError(f"--prompt {item}: {row.prompt_id} has no version <= {wanted}")
            out[row.name] = older[-1]
    for item in (i for i in items if not re.fullmatch(r"v\d+", i)):
        part, sep, version = item.partition("=")
        part, version = part.strip(), version.strip().lstrip("v")
        if not sep or part not in PART_NAMES or not version.isdigit():
            raise InputError(
                f"--prompt takes vN or PART=N with PART one of {', '.join(PART_NAMES)}; "
                f"got {item!r}"
            )
        out[part] = int(version)
    return out


def load_prompt_set(spec: str | Sequence[str] | None) -> PromptSet:
    """The prompt versions `--prompt` names (see `parse_prompt_spec`), the newest for the rest."""
    try:
        return PromptSet.load(parse_prompt_spec(spec))
    except PromptError as exc:
        raise InputError(f"--prompt: {exc}") from None
