"""The workflow commands: users, the question inbox, drafting into versions, approval, audit,
export. They call the same library as the app, so the same role rules and audit apply."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from drafter.cli.registry import command
from drafter.core.errors import (
    AuditChainError,
    BackendUnavailableError,
    InputError,
    PermissionDeniedError,
)
from drafter.core.secrets import scrub
from drafter.workflow.accounts import DEMO_USERS, ROLES, User, demo_password, require
from drafter.workflow.audit_chain import Anchor
from drafter.workflow.doctor import STATUSES, Workflow

if TYPE_CHECKING:
    from drafter.services import Services

PASSWORD_ENV = "DRAFTER_PASSWORD"


def _add_user_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help=f"sign in as this user (password from ${PASSWORD_ENV})")


def _login(workflow: Workflow, username: str | None, option: str = "--user NAME") -> User:
    """Sign in as --user with $DRAFTER_PASSWORD, or ask for the password on a terminal."""
    if not username:
        raise InputError(f"this command needs {option} (and ${PASSWORD_ENV} or a terminal)")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise PermissionDeniedError(f"no password: set ${PASSWORD_ENV} or run in a terminal")
        password = getpass.getpass(f"password for {username}: ")
    return workflow.login(username, password)


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since {text!r} is not a date or time like 2026-11-25T09:00") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _user_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "list", "demo", "deactivate", "activate"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=ROLES)
    p.add_argument("--name", help="display name, e.g. 'Dr. Jane Roe'")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    p.add_argument(
        "--as",
        dest="admin",
        metavar="ADMIN",
        help=f"the admin who adds or changes accounts (password from ${PASSWORD_ENV}); "
        "not needed for the first account of an empty database",
    )


@command(
    "user",
    help="local accounts: add, list, deactivate, create the demo logins",
    description="Accounts live in the workflow database with argon2-hashed passwords. "
    "Roles: doctor (approves replies), editor (approves explainers), reviewer (rates), "
    "admin (manages users). Adding, deactivating or activating an account needs an admin's "
    "login (--as ADMIN), except the first account of an empty database, which must be an admin.",
    arguments=_user_arguments,
)
def cmd_user(args: argparse.Namespace, services: Services) -> int:
    workflow = services.workflow()
    if args.action == "list":
        for user in workflow.users():
            print(f"{user.username:<20} {user.role:<9} {user.display_name}")
        return 0
    if args.action == "demo":
        return _demo_users(workflow, args)
    if args.action in ("deactivate", "activate"):
        if not args.username:
            raise InputError(f"user {args.action} needs USERNAME")
        changed = workflow.set_active(
            _login(workflow, args.admin, "--as ADMIN"), args.username, args.action == "activate"
        )
        print(f"{args.action}d {changed.username}")
        return 0
    if not args.username or not args.role:
        raise InputError("user add needs USERNAME and --role")
    admin = _admin(workflow, args.admin)  # before asking for the new password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ")
    user = workflow.add_user(admin, args.username, password, args.role, args.name)
    print(f"added {user.username} ({user.role})")
    return 0


def _admin(workflow: Workflow, username: str | None) -> User | None:
    """The signed-in admin (--as), or None for the first account of an empty database."""
    if username:
        return _login(workflow, username, "--as ADMIN")
    if workflow.users():
        raise PermissionDeniedError(
            "adding a user needs an admin's login: --as ADMIN (password from "
            f"${PASSWORD_ENV} or a terminal)"
        )
    return None


def _demo_users(workflow: Workflow, args: argparse.Namespace) -> int:
    """The demo logins: created without a login in an empty database (the admin first, who
    adds the others); missing ones in a database with accounts need --as ADMIN."""
    existing = {u.username for u in workflow.users()}
    missing = [role for role in DEMO_USERS if role not in existing]
    if missing:
        admin = _admin(workflow, args.admin)
        for role in sorted(missing, key=lambda r: r != "admin"):  # the admin first
            user = workflow.add_user(admin, role, demo_password(role), role, DEMO_USERS[role])
            admin = admin or user
    print("Demo logins (for trying Drafter; remove them before real use):")
    for role in DEMO_USERS:
        print(f"  {role:<9} user {role:<9} password {demo_password(role)}")
    return 0


def _questions_arguments(p: argparse.ArgumentParser) -> None:
    _add_user_option(p)
    p.add_argument("action", choices=["add", "list", "show", "draft"])
    p.add_argument("text", nargs="?", metavar="TEXT|N")
    p.add_argument("--file", help="JSONL/CSV with question, age_group, sex, specialty, id")
    p.add_argument("--age", help="asker's age group, e.g. 70-79")
    p.add_argument("--sex", help="female, male, other")
    p.add_argument("--specialty")
    p.add_argument("--asker", help="how the asker signs, e.g. 'Anonymous'")
    p.add_argument("--status", choices=STATUSES, help="list: only this status")
    p.add_argument("--search", help="list: only questions containing this text")
    p.add_argument("--backend", choices=["local", "openai"], help="draft: override the backend")
    p.add_argument(
        "--prompt",
        action="append",
        metavar="PART=N",
        help="draft: use version N of a prompt (title, reply, explainer), e.g. reply=1; repeatable",
    )
    p.add_argument("--json", action="store_true")


@command(
    "questions",
    help="the inbox: add, list, show, draft",
    description="add TEXT | add --file F.jsonl: put patient questions in the inbox. "
    "list: red-flagged first, then longest waiting. show N: versions and approvals. "
    "draft N: draft a page for question N and save it as a new version.",
    arguments=_questions_arguments,
)
def cmd_questions(args: argparse.Namespace, services: Services) -> int:
    workflow = services.workflow()
    if args.action == "list":
        found = workflow.questions(status=args.status, search=args.search, specialty=args.specialty)
        if args.json:
            print(json.dumps([q.to_json() for q in found], indent=2, ensure_ascii=False))
            return 0
        if not found:
            print("no questions match", file=sys.stderr)
        for q in found:
            flag = "RED FLAG " if q.red_flags else ""
            text = " ".join(q.text.split())
            print(
                f"#{q.id:<5} {q.status:<8} {q.waiting():>7}  {flag}{q.specialty or '-'} · "
                f"{q.asker_line}: {text[:70]}{'…' if len(text) > 70 else ''}"
            )
        return 0
    if args.action == "show":
        return _show(workflow, args)
    user = _login(workflow, args.user)
    if args.action == "add":
        if args.file:
            from drafter.workflow.doctor import import_questions

            added, problems = import_questions(workflow, user, Path(args.file))
            for problem in problems:
                print(f"skipped {problem}", file=sys.stderr)
            print(f"{added} questions added, {len(problems)} skipped")
            return 1 if problems and not added else 0
        if not args.text:
            raise InputError("questions add needs the question TEXT or --file FILE")
        q = workflow.add_question(
            user,
            args.text,
            age_group=args.age,
            sex=args.sex,
            specialty=args.specialty,
            asker=args.asker,
        )
        flags = ", ".join(f["label"] for f in q.red_flags)
        print(f"added question #{q.id}" + (f" (red flags: {flags})" if flags else ""))
        return 0
    return _draft(services, user, args)


def _show(workflow: Workflow, args: argparse.Namespace) -> int:
    q = workflow.question(_one_id(args))
    versions = workflow.versions(q.id)
    approvals = workflow.approvals(q.id)
    if args.json:
        print(
            json.dumps(
                {
                    "question": q.to_json(),
                    "versions": [
                        {
                            "number": v.number,
                            "kind": v.kind,
                            "author": v.author,
                            "model": v.model,
                            "title": v.title,
                            "reply": v.reply,
                            "explainer": v.explainer,
                            "created_at": v.created_at.isoformat(timespec="seconds") + "Z",
                        }
                        for v in versions
                    ],
                    "approvals": [
                        {"part": a.part, "version": a.version_number, "by": a.approved_by}
                        for a in approvals
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(f"#{q.id} ({q.status}) {q.asker_line}\n{q.text}\n")
    for f in q.red_flags:
        print(f"RED FLAG: {f['label']} (“{f['matched']}”)")
    for v in versions:
        print(f"v{v.number} {v.kind} by {v.author} {v.created_at:%Y-%m-%d %H:%M}: {v.title}")
    for a in approvals:
        print(f"approved {a.part} (v{a.version_number}) by {a.approved_by} {a.approved_at:%c}")
    return 0


def _one_id(args: argparse.Namespace) -> int:
    try:
        return int(str(args.text).lstrip("#"))
    except (TypeError, ValueError):
        raise InputError(f"give a question number, not {args.text!r}") from None


def _draft(services: Services, user: User, args: argparse.Namespace) -> int:
    from drafter.drafting.parts import load_prompt_set
    from drafter.workflow.drafting_session import draft_version

    workflow = services.workflow()
    user = require(workflow.sessions, user, "draft")  # before the model runs, not when saving
    q = workflow.question(_one_id(args))
    drafted = draft_version(  # a redraft the model wrote nothing of saves nothing
        workflow,
        user,
        q,
        workflow.latest(q.id),
        retriever=services.retriever(),
        llm=services.chat_backend(args.backend),
        settings=services.settings,
        triage=services.triager(),
        prompts=load_prompt_set(args.prompt),
    )
    draft, version = drafted.draft, drafted.version
    print(f"question #{q.id}: saved draft version {version.number} ({draft.status})")
    if draft.error:
        print(f"drafter: error: {scrub(draft.error)} (the partial draft is saved)", file=sys.stderr)
        return 4
    return 0


def _approve_arguments(p: argparse.ArgumentParser) -> None:
    _add_user_option(p)
    p.add_argument("question", type=int)
    p.add_argument("--part", choices=["reply", "explainer"], default="reply")
    p.add_argument("--version", type=int)


@command(
    "approve",
    help="approve a question's reply (doctors) or explainer (editors)",
    description="Approves the newest version (or --version N). An approved reply is "
    "added to the knowledge base at once.",
    arguments=_approve_arguments,
)
def cmd_approve(args: argparse.Namespace, services: Services) -> int:
    workflow = services.workflow()
    user = _login(workflow, args.user)
    approval = workflow.approve(user, args.question, args.part, version=args.version)
    print(
        f"question #{args.question}: {args.part} of version {approval.version_number} "
        f"approved by {user.display_name}"
    )
    for caution in approval.cautions:
        print(f"drafter: note: {caution} (recorded in the audit log)", file=sys.stderr)
    if approval.published:
        print(f"added to the knowledge base as {approval.published}")
    if approval.publish_error:
        unavailable = approval.publish_exit_code == BackendUnavailableError.exit_code
        print(
            f"drafter: {'error: approved, but' if unavailable else 'warning:'} not added to the "
            f"knowledge base ({scrub(approval.publish_error)}); approve again to retry",
            file=sys.stderr,
        )
        return BackendUnavailableError.exit_code if unavailable else 0
    return 0


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "check",
        nargs="?",
        choices=["verify"],
        metavar="verify",
        help="verify: check the hash chain of the whole log instead of listing it",
    )
    p.add_argument(
        "--since",
        help="only events at or after this time (UTC unless it has a zone), e.g. 2026-11-25T09:00",
    )
    p.add_argument("--question", type=int, help="only events of this question")
    p.add_argument(
        "--anchor",
        metavar="ROW:HASH",
        help="verify: a row and hash that an earlier verify printed and you kept elsewhere; that "
        "row must still have that hash, so removing the newest rows or rewriting the chain "
        "after it is found too",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="the events as JSON; verify: intact, events, last_id, last_hash and the first "
        "broken row",
    )


@command(
    "audit",
    help="list the audit log (who did what, when, with which model), or verify its hash chain",
    description="Lists the audit log, oldest first. `drafter audit verify` checks every row "
    "against its hash and the hash of the row before it and names the first that was edited, "
    "removed (a gap or a broken link) or back-dated (earlier than the row before); exit code 7 "
    "if one was. The database's owner can still change rows, and whoever rewrites every hash "
    "from a row on, or removes the newest rows, is only found with --anchor: keep the last row "
    "and hash it prints somewhere else (e.g. daily) and pass them as --anchor ROW:HASH.",
    arguments=_audit_arguments,
)
def cmd_audit(args: argparse.Namespace, services: Services) -> int:
    if args.check == "verify":
        return _verify_audit(services.workflow(), args)
    if args.anchor:
        raise InputError("--anchor is for `drafter audit verify`")
    events = services.workflow().audit(since=_since(args.since), question_id=args.question)
    if args.json:
        print(json.dumps([e.to_json() for e in events], indent=2, ensure_ascii=False))
        return 0
    for e in events:
        where = f" #{e.question_id}" if e.question_id else ""
        extra = " ".join(f"{k}={v}" for k, v in e.detail.items() if v not in (None, [], ""))
        model = f" model={e.model}" if e.model else ""
        print(f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor:<12} {e.action:<22}{where}{model} {extra}")
    return 0


def _verify_audit(workflow: Workflow, args: argparse.Namespace) -> int:
    if args.since or args.question is not None:
        raise InputError("audit verify checks the whole log: --since and --question do not apply")
    report = workflow.verify_audit(anchor=Anchor.parse(args.anchor) if args.anchor else None)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0 if report.intact else AuditChainError.exit_code
    if report.broken is not None:
        raise AuditChainError(f"the audit log does not verify: {report.broken}")
    last = f", last hash {report.last_hash} (row {report.last_id})" if report.last_id else ""
    print(f"audit log intact: {report.events} events{last}")
    return 0


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", type=int)
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("--out", help="write to this file instead of stdout")


@command("export", help="the approved page as Markdown or HTML", arguments=_export_arguments)
def cmd_export(args: argparse.Namespace, services: Services) -> int:
    from drafter.workflow.export import approved_draft, render

    draft = approved_draft(services.workflow(), args.question)
    if draft is None:
        raise InputError(f"question #{args.question} has no approved reply yet")
    text = render(draft, args.format)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:  # a folder, a missing folder, no permission
            raise InputError(f"cannot write --out {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0
