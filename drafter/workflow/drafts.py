"""A question's draft versions and approvals as records, and the versioned-document kind they
are: a version holds the whole page (title, reply, explainer); a new version moves a new question
to drafted; approving a part records which version's text was approved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from drafter.drafting.draft import Draft
from drafter.workflow.documents import DocumentKind
from drafter.workflow.questions import Question
from drafter.workflow.tables import QuestionRow, VersionRow

Part = Literal["reply", "explainer"]
VersionKind = Literal["ai", "regenerate", "edit"]


@dataclass(frozen=True)
class Version:
    id: int
    question_id: int
    number: int
    kind: str
    based_on: int | None
    title: str
    reply: str
    explainer: str
    details: dict[str, Any]
    model: str | None
    prompt_version: str | None
    instruction: str | None
    author: str
    created_at: datetime

    def text_of(self, part: Part) -> str:
        return self.reply if part == "reply" else self.explainer


PART_NAMES: dict[str, str] = {"reply": "short reply", "explainer": "More Info"}


def written_by_model(versions: Sequence[Version], chosen: Version, part: Part) -> Version | None:
    """The model-made version (a draft or a regeneration, up to `chosen`) whose `part` is, word
    for word, the text of `chosen`; None when a person changed it."""
    text = chosen.text_of(part).strip()
    for version in reversed(versions):
        made = version.number <= chosen.number and version.kind != "edit"
        if made and version.text_of(part).strip() == text:
            return version
    return None


def approval_cautions(versions: Sequence[Version], chosen: Version, part: Part) -> list[str]:
    """What approving `part` of `chosen` should be confirmed for: the model's text approved
    without an edit, all the more when that draft failed its checks or was cut short."""
    made = written_by_model(versions, chosen, part)
    if made is None:
        return []
    name = PART_NAMES[part]
    cautions = [
        f"the {name} is the model's text, unedited: it enters the knowledge base marked as "
        "AI-written and unedited"
    ]
    if made.details.get("status") == "incomplete":
        problems = [str(p) for p in made.details.get("problems", [])]
        cautions.append(
            f"the draft it comes from (version {made.number}) is incomplete"
            + (f": {'; '.join(problems[:3])}" if problems else "")
        )
    if made.details.get("error"):
        cautions.append(f"the draft it comes from (version {made.number}) was cut short")
    return cautions


@dataclass(frozen=True)
class Approval:
    id: int
    question_id: int
    version_number: int
    part: str
    title: str
    final_text: str
    approved_by: str
    approved_at: datetime
    published: str | None = None
    publish_error: str | None = None
    publish_exit_code: int | None = None  # of a failed publish: 4 when a server did not answer
    cautions: tuple[str, ...] = ()  # see approval_cautions; recorded in the approve event


@dataclass(frozen=True)
class ApprovedPage:
    """What the knowledge base receives when a reply or an explainer is approved."""

    question: Question
    title: str
    reply: str
    explainer: str | None
    doctor: str
    doctor_edited: bool = True  # False: the AI's reply approved word for word


Publisher = Callable[[ApprovedPage], str]


def read_version(row: VersionRow) -> Version:
    return Version(
        row.id,
        row.question_id,
        row.number,
        row.kind,
        row.based_on,
        row.title,
        row.reply,
        row.explainer,
        dict(row.details),
        row.model,
        row.prompt_version,
        row.instruction,
        row.author,
        row.created_at,
    )


def prompt_refs(draft: Draft) -> str:
    return ", ".join(f"{part}={ref}" for part, ref in draft.prompt_versions.items())


DRAFTS: DocumentKind[QuestionRow, VersionRow, Version] = DocumentKind(
    label="question",
    missing="there is no question {id}",
    owner_table=QuestionRow,
    version_table=VersionRow,
    owner_column="question_id",
    text_fields=("title", "reply", "explainer"),
    edit_action="draft.edit",
    published="publish.knowledge_base",
    publish_failed="publish.failed",
    read=read_version,
    status_after_version=lambda status: "drafted" if status == "new" else status,
    audit_keys=lambda question, row: {"question_id": question.id, "version_id": row.id},
)
