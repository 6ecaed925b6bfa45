"""A question's drafting session without a UI: which version the edit boxes show, and drafting (or
regenerating) a question into a new version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drafter.backends.base import ChatBackend
from drafter.core.errors import BackendUnavailableError
from drafter.core.question import PatientQuestion
from drafter.core.settings import Settings
from drafter.drafting.draft import Draft, DraftListener, Part
from drafter.drafting.parts import PromptSet
from drafter.drafting.pipeline import draft_page
from drafter.triage.findings import Triage
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Question, Version, Workflow
from knowledge.retrieval import HybridRetriever

ALL_PARTS: tuple[Part, ...] = ("title", "reply", "explainer")


def version_to_show(
    versions: list[Version], *, shown: int | None, pending: int | None
) -> Version | None:
    """The version to load into the edit boxes, or None to leave them as they are."""
    by_number = {v.number: v for v in versions}
    if pending is not None and pending in by_number:  # a draft just saved, before the boxes draw
        return by_number[pending]
    if versions and shown not in by_number:  # just opened, or the shown version does not exist
        return versions[-1]
    return None


@dataclass(frozen=True)
class Drafted:
    """What the model wrote (complete or cut short by the backend) and the version it became."""

    draft: Draft
    version: Version


def draft_version(
    workflow: Workflow,
    user: User,
    question: Question,
    current: Version | None,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    listener: DraftListener | None = None,
    parts: tuple[Part, ...] = ALL_PARTS,
    instruction: str | None = None,
    triage: Callable[[str], Triage] | None = None,
    prompts: PromptSet | None = None,
) -> Drafted:
    """Draft (or regenerate `parts`) and save a new version, even a draft cut short by the backend.

    A DrafterError (the question or instruction refused, the knowledge base down, a
    regeneration the model wrote nothing of) saves nothing.
    """
    draft = draft_page(
        PatientQuestion.of(question),
        retriever=retriever,
        llm=llm,
        settings=settings,
        listener=listener,
        parts=parts,
        instruction=instruction,
        triage=triage,
        prompts=prompts,
    )
    if current is not None:
        wrote = [part for part in parts if getattr(draft, part).strip()]
        if draft.error and not wrote:
            raise BackendUnavailableError(
                f"the model wrote nothing ({draft.error}); version {current.number} is unchanged"
            )
        for part in ALL_PARTS:  # parts not regenerated, or left empty by a failure, stay as is
            if part not in parts or (draft.error and part not in wrote):
                setattr(draft, part, getattr(current, part))
    saved = workflow.save_draft(
        user,
        question.id,
        draft,
        kind="ai" if current is None else "regenerate",
        based_on=None if current is None else current.number,
        instruction=instruction,
    )
    return Drafted(draft, saved)
