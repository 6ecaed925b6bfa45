"""A stored version (or the approved page) back as a Draft, to render in the published layout."""

from __future__ import annotations

from typing import Any

from drafter.core.question import PatientQuestion
from drafter.core.records import Hit
from drafter.drafting.citations import CitationIssue
from drafter.drafting.draft import DRAFT_MARKER, Draft
from drafter.drafting.page import page_html, page_markdown
from drafter.drafting.sources import Source
from drafter.drafting.untrusted import Redaction
from drafter.triage.findings import Finding
from drafter.workflow.doctor import Workflow
from drafter.workflow.drafts import Version
from drafter.workflow.questions import Question


def _hit(data: dict[str, Any]) -> Hit:
    meta = {
        "doctor": data.get("doctor") or "",
        "answer": data.get("answer_excerpt") or "",
        "specialty": data.get("specialty") or "",
    }
    return Hit(
        id=str(data["id"]),
        kind=data.get("kind", "qa"),
        title=str(data.get("title", "")),
        score=float(data.get("score", 0.0)),
        ranks=data.get("ranks") or {},
        why=str(data.get("why", "")),
        text=str(data.get("excerpt") or data.get("title", "")),
        metadata={k: v for k, v in meta.items() if v},
        duplicates=tuple(data.get("duplicates") or ()),
    )


def red_flags(question: Question) -> list[Finding]:
    return [Finding.from_json(f) for f in question.red_flags]


def version_draft(question: Question, version: Version, *, marker: str = DRAFT_MARKER) -> Draft:
    d = version.details
    draft = Draft(
        question=PatientQuestion.of(question),
        title=version.title,
        reply=version.reply,
        explainer=version.explainer,
        similar_qa=[_hit(h) for h in d.get("similar_qa", [])],
        related_faq=[_hit(h) for h in d.get("related_faq", [])],
        sources=[
            Source(s["n"], s["id"], s["kind"], s["title"], s["excerpt"], s.get("specialty"))
            for s in d.get("sources", [])
        ],
        citation_issues=[CitationIssue(**i) for i in d.get("citation_issues", [])],
        red_flags=red_flags(question),
        redactions=[Redaction(**r) for r in d.get("redactions", [])],
        problems=list(d.get("problems", [])),
        model=version.model or "",
        error=d.get("error"),
        marker=marker,
    )
    return draft


def approved_draft(workflow: Workflow, question_id: int) -> Draft | None:
    """The approved page: the approved reply's version, with the approved explainer if any."""
    approvals = {a.part: a for a in workflow.approvals(question_id)}
    reply = approvals.get("reply")
    if reply is None:
        return None
    question = workflow.question(question_id)
    versions = {v.number: v for v in workflow.versions(question_id)}
    explainer = approvals.get("explainer")
    marker = (
        f"Approved by {workflow.display_name(reply.approved_by)} on {reply.approved_at:%Y-%m-%d}"
    )
    draft = version_draft(question, versions[reply.version_number], marker=marker)
    draft.reply = reply.final_text
    draft.explainer = explainer.final_text if explainer else ""
    draft.problems, draft.error = [], None
    return draft


def render(draft: Draft, fmt: str) -> str:
    return page_html(draft) if fmt == "html" else page_markdown(draft)
