"""The doctor's workflow over the database: inbox, draft versions, edits, approvals, ratings.

Every method takes the acting user, checks the role first (`accounts.require`) and writes its audit
event in the same transaction as the change. Text is never overwritten: each draft, regeneration
and saved edit is a new numbered version, and a save based on an old version is kept too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.core.question import PatientQuestion
from drafter.core.records import normalize_specialty
from drafter.drafting.draft import Draft
from drafter.triage.red_flags import detect_red_flags
from drafter.workflow import accounts, audit
from drafter.workflow.accounts import Action, User, require
from drafter.workflow.tables import ApprovalRow, QuestionRow, RatingRow, VersionRow
from drafter.workflow.versions import Slot, add_next_version, inherited_details, save_version
from knowledge.importers import ImportIssue, read_rows
from knowledge.retrieval import check_query

Status = Literal["new", "drafted", "approved"]
Part = Literal["reply", "explainer"]
VersionKind = Literal["ai", "regenerate", "edit"]
STATUSES: tuple[Status, ...] = ("new", "drafted", "approved")


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    age_group: str | None
    sex: str | None
    specialty: str | None
    asker: str | None
    origin: str
    status: str
    red_flags: list[dict[str, Any]]
    created_by: str
    created_at: datetime

    @property
    def asker_line(self) -> str:
        who = " ".join(p for p in (self.age_group and f"{self.age_group} year old", self.sex) if p)
        return ", ".join(p for p in (self.asker, who) if p) or "age and sex not given"

    def waiting(self, now: datetime | None = None) -> str:
        """How long the patient has waited, like '3 h' or '2 d'."""
        seconds = ((now or _now()) - self.created_at).total_seconds()
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                return f"{int(seconds // size)} {unit}"
        return "just now"

    def to_json(self) -> dict[str, Any]:
        return {**vars(self), "created_at": self.created_at.isoformat(timespec="seconds") + "Z"}


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


@dataclass(frozen=True)
class ApprovedPage:
    """What the knowledge base receives when a reply or an explainer is approved."""

    question: Question
    title: str
    reply: str
    explainer: str | None
    doctor: str


Publisher = Callable[[ApprovedPage], str]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _question(row: QuestionRow) -> Question:
    return Question(
        row.id,
        row.text,
        row.age_group,
        row.sex,
        row.specialty,
        row.asker,
        row.origin,
        row.status,
        list(row.red_flags),
        row.created_by,
        row.created_at,
    )


def _version(row: VersionRow) -> Version:
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


def _prompt_refs(draft: Draft) -> str:
    return ", ".join(f"{part}={ref}" for part, ref in draft.prompt_versions.items())


@dataclass
class Workflow:
    sessions: sessionmaker[Session]
    max_question_chars: int = 6000
    publisher: Publisher | None = None

    # --- questions ------------------------------------------------------------------------------

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
        require(user, "add_question")
        text = check_query(text, self.max_question_chars)
        asked = PatientQuestion.create(text, age_group, sex, specialty)
        fields = {"age_group": asked.age_group, "sex": asked.sex, "specialty": asked.specialty}
        flags = [f.to_json() for f in detect_red_flags(text)]
        with self.sessions.begin() as session:
            if external_id and (
                found := session.scalar(
                    select(QuestionRow).where(QuestionRow.external_id == external_id)
                )
            ):
                return _question(found)
            row = QuestionRow(
                text=text,
                asker=(asker or "").strip() or None,
                origin=origin,
                external_id=external_id,
                red_flags=flags,
                created_by=user.username,
                **fields,
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                user.username,
                "question.add",
                question_id=row.id,
                origin=origin,
                red_flags=[f["rule_id"] for f in flags],
            )
            return _question(row)

    def questions(
        self,
        *,
        status: str | None = None,
        search: str | None = None,
        specialty: str | None = None,
        flagged_only: bool = False,
        limit: int = 500,
    ) -> list[Question]:
        """The inbox: red-flagged questions first, then the longest waiting."""
        query = select(QuestionRow)
        if status:
            query = query.where(QuestionRow.status == status)
        if specialty:
            query = query.where(QuestionRow.specialty == normalize_specialty(specialty))
        if search and search.strip():
            like = f"%{search.strip()}%"
            query = query.where(or_(QuestionRow.text.ilike(like), QuestionRow.asker.ilike(like)))
        with self.sessions() as session:
            found = [_question(r) for r in session.scalars(query.order_by(QuestionRow.created_at))]
        if flagged_only:
            found = [q for q in found if q.red_flags]
        found.sort(key=lambda q: (not q.red_flags, q.created_at))
        return found[:limit]

    def question(self, question_id: int) -> Question:
        with self.sessions() as session:
            row = session.get(QuestionRow, question_id)
            if row is None:
                raise InputError(f"there is no question {question_id}")
            return _question(row)

    # --- versions -------------------------------------------------------------------------------

    def versions(self, question_id: int) -> list[Version]:
        return self._versions(VersionRow.question_id == question_id)

    def approved_versions(self, part: Part) -> list[Version]:
        """Every version of every question with an approved `part`, in one query (for reviews
        of all approvals): each question's in order of number."""
        approved = select(ApprovalRow.question_id).where(ApprovalRow.part == part)
        return self._versions(VersionRow.question_id.in_(approved))

    def all_versions(self) -> list[Version]:
        """Every version of every question in one query, each question's in order of number."""
        return self._versions(true())

    def _versions(self, where: ColumnElement[bool]) -> list[Version]:
        with self.sessions() as session:
            rows = session.scalars(select(VersionRow).where(where).order_by(VersionRow.number))
            return [_version(r) for r in rows]

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
        require(user, "draft")
        details = {
            k: v
            for k, v in draft.to_json().items()
            if k not in {"title", "reply", "explainer", "question"}
        }
        return self._add_version(
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
            prompt_version=_prompt_refs(draft),
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
        require(user, "edit")
        versions = self.versions(question_id)
        by_number = {v.number: v for v in versions}
        if base not in by_number:
            self.question(question_id)  # an unknown question is named as such
            raise InputError(f"question {question_id} has no version {base}")
        old = by_number[base]
        if (old.title, old.reply, old.explainer) == (title, reply, explainer):
            return old
        return self._add_version(
            user,
            question_id,
            "draft.edit",
            kind="edit",
            based_on=base,
            title=title,
            reply=reply,
            explainer=explainer,
            details={**inherited_details(old.details), "edited_from": base},
            model=old.model,
            prompt_version=old.prompt_version,
            instruction=None,
            audit_detail={"chars": len(reply) + len(explainer) + len(title)},
        )

    def _add_version(
        self,
        user: User,
        question_id: int,
        action: str,
        *,
        details: dict[str, Any],
        audit_detail: dict[str, Any],
        **values: Any,
    ) -> Version:
        """Insert version max+1 (see `drafter.versions`) and mark a new question drafted."""
        based_on = values.get("based_on")

        def write(session: Session) -> tuple[Version, Slot]:
            question = session.get(QuestionRow, question_id)
            if question is None:
                raise InputError(f"there is no question {question_id}")
            row, slot = add_next_version(
                session,
                VersionRow,
                VersionRow.question_id == question_id,
                question_id=question_id,
                author=user.username,
                details=details,
                **values,
            )
            if question.status == "new":
                question.status = "drafted"
            session.flush()
            audit.record(
                session,
                user.username,
                slot.action(action),
                question_id=question_id,
                version_id=row.id,
                model=row.model,
                prompt_version=row.prompt_version,
                number=slot.number,
                based_on=based_on,
                **audit_detail,
            )
            return _version(row), slot

        return save_version(self.sessions, write, what=f"question {question_id}")

    def display_name(self, username: str) -> str:
        with self.sessions() as session:
            user = accounts.get_user(session, username)
        return user.display_name if user else username

    # --- accounts -------------------------------------------------------------------------------

    def add_user(
        self, actor: User, username: str, password: str, role: str, display_name: str | None = None
    ) -> User:
        require(actor, "manage_users")
        with self.sessions.begin() as session:
            user = accounts.add_user(session, username, password, role, display_name)
            audit.record(session, actor.username, "user.add", username=user.username, role=role)
        return user

    def login(self, username: str, password: str) -> User:
        with self.sessions.begin() as session:
            return accounts.authenticate(session, username, password)

    def users(self) -> list[User]:
        with self.sessions() as session:
            return accounts.list_users(session)

    # --- approvals ------------------------------------------------------------------------------

    def approve(
        self, user: User, question_id: int, part: Part, *, version: int | None = None
    ) -> Approval:
        """Approve the reply (doctors) or the explainer (editors) of a version, by default the
        newest; the approved text then goes into the knowledge base."""
        action: Action = "approve_reply" if part == "reply" else "approve_explainer"
        require(user, action)
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
                edited=chosen.kind == "edit",
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
        return ApprovedPage(
            self.question(question_id),
            reply.title,
            reply.final_text,
            explainer.final_text if explainer else None,
            self.display_name(reply.approved_by),
        )

    def _publish(self, user: User, approval: Approval) -> Approval:
        """Add the approved page to the knowledge base; a failure is recorded, not raised: the
        approval itself stands and publishing can be retried by approving again."""
        page = self.approved_page(approval.question_id)
        if self.publisher is None or page is None:
            return approval
        try:
            record_id = self.publisher(page)
        except Exception as exc:  # noqa: BLE001 - any store failure is reported the same way
            error = str(exc) or type(exc).__name__
            with self.sessions.begin() as session:
                audit.record(
                    session,
                    user.username,
                    "publish.failed",
                    question_id=approval.question_id,
                    error=error,
                )
            return Approval(**{**vars(approval), "publish_error": error})
        with self.sessions.begin() as session:
            audit.record(
                session,
                user.username,
                "publish.knowledge_base",
                question_id=approval.question_id,
                record_id=record_id,
            )
        return Approval(**{**vars(approval), "published": record_id})

    # --- ratings --------------------------------------------------------------------------------

    def rate(
        self,
        user: User,
        version_id: int,
        scores: dict[str, Any],
        *,
        comment: str = "",
        other_version_id: int | None = None,
    ) -> int:
        require(user, "rate")
        with self.sessions.begin() as session:
            version = session.get(VersionRow, version_id)
            if version is None:
                raise InputError(f"there is no draft version with id {version_id}")
            if other_version_id is not None and session.get(VersionRow, other_version_id) is None:
                raise InputError(f"there is no draft version with id {other_version_id}")
            row = RatingRow(
                version_id=version_id,
                other_version_id=other_version_id,
                reviewer=user.username,
                scores=scores,
                comment=comment,
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                user.username,
                "rate",
                question_id=version.question_id,
                version_id=version_id,
                scores=scores,
            )
            return row.id

    # --- reading the log ------------------------------------------------------------------------

    def audit(
        self, *, since: datetime | None = None, question_id: int | None = None
    ) -> list[audit.AuditEvent]:
        with self.sessions() as session:
            return audit.events(session, since=since, question_id=question_id)

    def counts(self) -> dict[str, int]:
        with self.sessions() as session:
            rows = session.execute(
                select(QuestionRow.status, func.count()).group_by(QuestionRow.status)
            )
            found = {status: n for status, n in rows}
        return {s: found.get(s, 0) for s in STATUSES}


def import_questions(workflow: Workflow, user: User, path: Path) -> tuple[int, list[str]]:
    """Add every question of a JSONL/CSV file (fields: question or text, age_group, sex,
    specialty, asker, id); a bad line is reported as `file:line: why` and the rest land."""
    before, problems = sum(workflow.counts().values()), []
    for line, row in read_rows(path):
        if isinstance(row, ImportIssue):
            problems.append(str(row))
            continue
        try:
            workflow.add_question(
                user,
                str(row.get("question") or row.get("text") or ""),
                age_group=row.get("age_group"),
                sex=row.get("sex"),
                specialty=row.get("specialty"),
                asker=str(row["asker"]) if row.get("asker") is not None else None,
                origin="import",
                external_id=str(row["id"]) if row.get("id") is not None else None,
            )
        except InputError as exc:
            problems.append(str(ImportIssue(path, line, str(exc))))
    return sum(workflow.counts().values()) - before, problems  # known ids are not re-added
