"""The doctor's workflow: the facade over the inbox, draft versions, approvals and ratings.

Every method takes the acting user, re-reads it from the database and checks its stored role
first (`accounts.require`), and writes its audit event in the same transaction as the change.
Text is never overwritten: each draft, regeneration and saved edit is a new numbered version
(`documents`), and a save based on an old version is kept too. `Workflow` is what callers use: it
saves drafts and edits and approves them here, and hands the inbox to `questions`, accounts to
`accounts`, sign-in to `logins`, ratings to `ratings`, the doctors' verdicts on triage findings to
`finding_reviews`, the log to `audit` and its hash chain to `audit_chain`; the records (Version,
Approval, ApprovedPage) are in `drafts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import DrafterError, InputError
from drafter.drafting.draft import Draft
from drafter.triage.findings import Triage
from drafter.workflow import (
    accounts,
    audit,
    audit_chain,
    finding_reviews,
    logins,
    questions,
    ratings,
)
from drafter.workflow.accounts import Action, Role, User, require
from drafter.workflow.audit import AuditEvent
from drafter.workflow.audit_chain import Anchor, ChainReport
from drafter.workflow.documents import Documents
from drafter.workflow.drafts import (
    DRAFTS,
    Approval,
    ApprovedPage,
    Part,
    Publisher,
    Version,
    VersionKind,
    approval_cautions,
    prompt_refs,
    written_by_model,
)
from drafter.workflow.finding_reviews import FindingReview, LabelledSet
from drafter.workflow.questions import STATUSES, Question
from drafter.workflow.ratings import RatedVersion, StoredRating
from drafter.workflow.tables import ApprovalRow, QuestionRow, VersionRow, utcnow

# What callers import from here, wherever it is defined.
__all__ = [
    "STATUSES",
    "Approval",
    "ApprovedPage",
    "FindingReview",
    "Part",
    "Publisher",
    "Question",
    "Version",
    "Workflow",
    "import_questions",
]


@dataclass
class Workflow:
    sessions: sessionmaker[Session]
    max_question_chars: int = 6000
    publisher: Publisher | None = None
    triage: Callable[[str], Triage] | None = None  # default: the lexicon and context
    clock: Callable[[], datetime] = utcnow  # the login throttle's "now" (UTC, naive)

    @property
    def _drafts(self) -> Documents[QuestionRow, VersionRow, Version]:
        return Documents(self.sessions, DRAFTS)

    # --- questions (see `questions`) ------------------------------------------------------------

    def add_question(
        self,
        user: User,
        text: str,
        *,
        age_group: str | None = None,
        sex: str | None = None,
        specialty: str | None = None,
        asker: str | None = None,
        origin: str = "typed",
        external_id: str | None = None,
    ) -> Question:
        """Put a patient question in the inbox; red flags are found now, so the inbox can sort."""
        return questions.add_question(
            self.sessions,
            user,
            text,
            max_chars=self.max_question_chars,
            age_group=age_group,
            sex=sex,
            specialty=specialty,
            asker=asker,
            origin=origin,
            external_id=external_id,
            triage=self.triage,
        )

    def questions(
        self,
        *,
        status: str | None = None,
        search: str | None = None,
        specialty: str | None = None,
        flagged_only: bool = False,
        limit: int = 500,
    ) -> list[Question]:
        """The inbox: the most urgent findings first, then the longest waiting."""
        return questions.find_questions(
            self.sessions,
            status=status,
            search=search,
            specialty=specialty,
            flagged_only=flagged_only,
            limit=limit,
        )

    def question(self, question_id: int) -> Question:
        return questions.get_question(self.sessions, question_id)

    def counts(self) -> dict[str, int]:
        return questions.count_by_status(self.sessions)

    # --- the doctor's verdicts on triage findings (see `finding_reviews`) -----------------------

    def review_finding(
        self, user: User, question_id: int, category: str, verdict: str, reason: str = ""
    ) -> FindingReview:
        """Confirm or dismiss (with a reason) one finding; the finding itself is never changed."""
        return finding_reviews.add_review(
            self.sessions, user, question_id, category, verdict, reason
        )

    def finding_reviews(self, question_id: int) -> list[FindingReview]:
        """Every verdict on the question's findings, oldest first (the newest one counts)."""
        return finding_reviews.list_reviews(self.sessions, question_id)

    def reviewed_findings(self) -> LabelledSet:
        """The reviewed questions as a triage labelled set (`drafter triage export`)."""
        return finding_reviews.labelled_set(self.sessions)

    # --- versions -------------------------------------------------------------------------------

    def versions(self, question_id: int) -> list[Version]:
        return self._drafts.versions(question_id)

    def approved_versions(self, part: Part) -> list[Version]:
        """Every version of every question with an approved `part`, in one query (for reviews
        of all approvals): each question's in order of number."""
        approved = select(ApprovalRow.question_id).where(ApprovalRow.part == part)
        return self._drafts.select(VersionRow.question_id.in_(approved))

    def all_versions(self) -> list[Version]:
        """Every version of every question in one query, each question's in order of number."""
        return self._drafts.select(true())

    def latest(self, question_id: int) -> Version | None:
        found = self.versions(question_id)
        return found[-1] if found else None

    def save_draft(
        self,
        user: User,
        question_id: int,
        draft: Draft,
        *,
        kind: VersionKind = "ai",
        based_on: int | None = None,
        instruction: str | None = None,
    ) -> Version:
        """Keep what the model wrote, even an interrupted draft: it becomes a new version."""
        user = require(self.sessions, user, "draft")
        details = {
            k: v
            for k, v in draft.to_json().items()
            if k not in {"title", "reply", "explainer", "question"}
        }
        return self._drafts.add(
            user,
            question_id,
            "draft.create" if kind == "ai" else "draft.regenerate",
            kind=kind,
            based_on=based_on,
            title=draft.title,
            reply=draft.reply,
            explainer=draft.explainer,
            details=details,
            model=draft.model,
            prompt_version=prompt_refs(draft),
            instruction=instruction,
            audit_detail={"status": draft.status, "error": draft.error},
        )

    def save_edit(
        self,
        user: User,
        question_id: int,
        *,
        base: int,
        title: str,
        reply: str,
        explainer: str,
    ) -> Version:
        """Save the editor's text as a new version made from version `base`.

        Unchanged text saves nothing. If someone saved after `base` was opened, the edit is still
        kept (as the newest version) and EditConflictError says who changed it meanwhile.
        """
        user = require(self.sessions, user, "edit")
        return self._drafts.edit(
            user,
            question_id,
            base=base,
            texts={"title": title, "reply": reply, "explainer": explainer},
            audit_detail={"chars": len(reply) + len(explainer) + len(title)},
        )

    # --- accounts (see `accounts`) --------------------------------------------------------------

    def add_user(
        self,
        actor: User | None,
        username: str,
        password: str,
        role: str,
        display_name: str | None = None,
    ) -> User:
        """An admin adds an account; `actor=None` only for the first (admin) account of an
        empty database."""
        return accounts.create_user(self.sessions, actor, username, password, role, display_name)

    def set_active(self, actor: User, username: str, active: bool) -> User:
        return accounts.set_active(self.sessions, actor, username, active)

    def login(self, username: str, password: str) -> User:
        """The stored user; failures are audited and throttled per username (`logins`)."""
        return logins.login(self.sessions, username, password, now=self.clock)

    def has_demo_password(self, role: Role) -> bool:
        return accounts.has_demo_password(self.sessions, role)

    def users(self) -> list[User]:
        return accounts.users(self.sessions)

    def display_name(self, username: str) -> str:
        return accounts.display_name(self.sessions, username)

    # --- approvals ------------------------------------------------------------------------------

    def approve(
        self,
        user: User,
        question_id: int,
        part: Part,
        *,
        version: int | None = None,
        marks: Sequence[Mapping[str, object]] = (),
    ) -> Approval:
        """Approve the reply (doctors) or the explainer (editors) of a version, by default the
        newest; the approved text then goes into the knowledge base. `marks` are the evidence
        check's red marks the approver saw (and approved anyway): they land in the audit event,
        with the approval's cautions (the model's text unedited, an incomplete draft), which the
        app asks the approver to confirm first."""
        action: Action = "approve_reply" if part == "reply" else "approve_explainer"
        user = require(self.sessions, user, action)
        versions = self.versions(question_id)
        if not versions:
            self.question(question_id)  # an unknown question is named as such
            raise InputError(f"question {question_id} has no draft to approve yet")
        chosen = (
            versions[-1]
            if version is None
            else next((v for v in versions if v.number == version), None)
        )
        if chosen is None:
            raise InputError(f"question {question_id} has no version {version}")
        text = chosen.text_of(part).strip()
        if not text:
            raise InputError(f"version {chosen.number} has no {part} to approve")
        cautions = tuple(approval_cautions(versions, chosen, part))
        with self.sessions.begin() as session:
            row = ApprovalRow(
                question_id=question_id,
                version_id=chosen.id,
                part=part,
                title=chosen.title,
                final_text=text,
                approved_by=user.username,
            )
            session.add(row)
            question = session.get(QuestionRow, question_id)
            if part == "reply" and question is not None:
                question.status = "approved"
            session.flush()
            audit.record(
                session,
                user.username,
                f"approve.{part}",
                question_id=question_id,
                version_id=chosen.id,
                model=chosen.model,
                prompt_version=chosen.prompt_version,
                number=chosen.number,
                edited=written_by_model(versions, chosen, part) is None,
                **({"marks": [dict(m) for m in marks]} if marks else {}),
                **({"cautions": list(cautions)} if cautions else {}),
            )
            approval = Approval(
                row.id,
                question_id,
                chosen.number,
                part,
                row.title,
                row.final_text,
                row.approved_by,
                row.approved_at,
                cautions=cautions,
            )
        return self._publish(user, approval)

    def approvals(self, question_id: int) -> list[Approval]:
        return self._approvals(ApprovalRow.question_id == question_id)

    def all_approvals(self, part: Part) -> list[Approval]:
        """Every approval of `part`, oldest first, in one query (for reviews of all approvals)."""
        return self._approvals(ApprovalRow.part == part)

    def _approvals(self, where: ColumnElement[bool]) -> list[Approval]:
        with self.sessions() as session:
            rows = session.execute(
                select(ApprovalRow, VersionRow.number)
                .join(VersionRow, ApprovalRow.version_id == VersionRow.id)
                .where(where)
                .order_by(ApprovalRow.id)
            )
            return [
                Approval(
                    a.id,
                    a.question_id,
                    number,
                    a.part,
                    a.title,
                    a.final_text,
                    a.approved_by,
                    a.approved_at,
                )
                for a, number in rows
            ]

    def approved_page(self, question_id: int) -> ApprovedPage | None:
        """The newest approved reply with the newest approved explainer, if any."""
        latest: dict[str, Approval] = {a.part: a for a in self.approvals(question_id)}
        if "reply" not in latest:
            return None
        reply = latest["reply"]
        explainer = latest.get("explainer")
        versions = self.versions(question_id)
        approved = next(v for v in versions if v.number == reply.version_number)
        return ApprovedPage(
            self.question(question_id),
            reply.title,
            reply.final_text,
            explainer.final_text if explainer else None,
            self.display_name(reply.approved_by),
            doctor_edited=written_by_model(versions, approved, "reply") is None,
        )

    def _publish(self, user: User, approval: Approval) -> Approval:
        """Add the approved page to the knowledge base; a failure is recorded, not raised: the
        approval itself stands and publishing can be retried by approving again."""
        page, publisher = self.approved_page(approval.question_id), self.publisher
        if publisher is None or page is None:
            return approval
        codes: list[int] = []

        def send() -> str:
            try:
                return publisher(page)
            except Exception as exc:
                codes.append(exc.exit_code if isinstance(exc, DrafterError) else 1)
                raise

        record_id, error = self._drafts.publish(
            user, send, detail={"question_id": approval.question_id}, result_key="record_id"
        )
        if error is not None:
            failed = {"publish_error": error, "publish_exit_code": codes[0] if codes else 1}
            return Approval(**{**vars(approval), **failed})
        return Approval(**{**vars(approval), "published": record_id})

    # --- ratings (see `ratings`) and the log (see `audit`) --------------------------------------

    def rate(
        self,
        user: User,
        version_id: int,
        scores: dict[str, Any],
        *,
        comment: str = "",
        other_version_id: int | None = None,
    ) -> int:
        return ratings.add_rating(
            self.sessions,
            user,
            version_id,
            scores,
            comment=comment,
            other_version_id=other_version_id,
        )

    def ratings(self, *, reviewer: str | None = None) -> list[StoredRating]:
        return ratings.list_ratings(self.sessions, reviewer=reviewer)

    def rated_versions(self, version_ids: Iterable[int]) -> dict[int, RatedVersion]:
        return ratings.rated_versions(self.sessions, version_ids)

    def audit(
        self, *, since: datetime | None = None, question_id: int | None = None
    ) -> list[AuditEvent]:
        return audit.read(self.sessions, since=since, question_id=question_id)

    def verify_audit(self, *, anchor: Anchor | None = None) -> ChainReport:
        """Whether the audit log's hash chain holds, or its first row that does not match."""
        return audit_chain.verify(self.sessions, anchor=anchor)


def import_questions(workflow: Workflow, user: User, path: Path) -> tuple[int, list[str]]:
    """Add every question of a JSONL/CSV file into the workflow's inbox (see
    `questions.import_file`); returns how many were added and the problems by line."""
    return questions.import_file(
        workflow.sessions, user, path, max_chars=workflow.max_question_chars
    )
