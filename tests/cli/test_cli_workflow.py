"""The workflow commands end to end through `drafter ...`: users, the inbox, drafting, approval,
audit and export, with their exit codes (2 bad input, 5 not allowed or a wrong login)."""

from __future__ import annotations

import io
import sys
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from knowledge import SAMPLE_INBOX
from tests.cli.conftest import GOUT
from tests.conftest import RunCli, SampleKb, WriteJsonl
from tests.support.fakes import page_responder
from tests.support.workflow_kit import Desk, ai_draft


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set $DRAFTER_PASSWORD for the next commands; returns the --user arguments."""

    def sign_in(username: str, password: str | None = None) -> list[str]:
        monkeypatch.setenv("DRAFTER_PASSWORD", password or f"{username}-pass-1")
        return ["--user", username]

    return sign_in


def approved(desk: Desk) -> int:
    """A question with a drafted, approved page (published nowhere: there is no KB here)."""
    q = desk.workflow.add_question(
        desk.doctor, GOUT, age_group="50-59", sex="male", asker="Anonymous"
    )
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(GOUT, title="Gout in the Big Toe"))
    desk.workflow.approve(desk.doctor, q.id, "reply")
    return q.id


# --- users --------------------------------------------------------------------------------------


def test_demo_users_then_the_sample_inbox_imports_cleanly(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_cli("user", "demo")
    assert first.code == 0, first.err
    assert "doctor    user doctor    password doctor-demo" in first.out
    assert run_cli("user", "demo").code == 0  # a second run adds nobody twice
    listed = run_cli("user", "list")
    assert [line.split()[:2] for line in listed.out.splitlines()] == [
        ["admin", "admin"],
        ["doctor", "doctor"],
        ["editor", "editor"],
        ["reviewer", "reviewer"],
    ]
    monkeypatch.setenv("DRAFTER_PASSWORD", "doctor-demo")
    added = run_cli("questions", "add", "--file", str(SAMPLE_INBOX), "--user", "doctor")
    assert (added.code, added.out, added.err) == (0, "10 questions added, 0 skipped\n", "")
    again = run_cli("questions", "add", "--file", str(SAMPLE_INBOX), "--user", "doctor")
    assert (again.code, again.out) == (0, "0 questions added, 0 skipped\n")
    inbox = run_cli("questions", "list", "--json").json()
    assert len(inbox) == 10
    assert [bool(q["red_flags"]) for q in inbox] == [True, True] + [False] * 8
    text = run_cli("questions", "list").out.splitlines()
    assert len(text) == 10
    assert all("RED FLAG" in line for line in text[:2])


def test_user_add_reads_the_password_from_stdin_and_checks_its_input(
    desk: Desk, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTER_PASSWORD", "admin-pass-1")

    def add(*args: str, password: str = "a-good-password\n") -> Any:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password))
        return run_cli("user", "add", *args, "--password-stdin", "--as", "admin")

    ok = add("JRoe", "--role", "doctor", "--name", "Dr. Jane Roe")
    assert (ok.code, ok.out) == (0, "added jroe (doctor)\n")
    assert desk.workflow.login("jroe", "a-good-password").display_name == "Dr. Jane Roe"
    added = desk.workflow.audit()[-1]
    assert added.action == "user.add"
    assert (added.actor, added.detail) == ("admin", {"username": "jroe", "role": "doctor"})
    cases = [
        (add("jroe", "--role", "editor"), "user 'jroe' already exists"),
        (
            add("kim", "--role", "editor", password="short\n"),
            "password must have at least 8 characters",
        ),
        (add("kim"), "user add needs USERNAME and --role"),
        (add("--role", "editor"), "user add needs USERNAME and --role"),
    ]
    for result, message in cases:
        assert result.code == 2
        assert result.err == f"drafter: error: {message}\n"
    bad_role = add("kim", "--role", "surgeon")
    assert bad_role.code == 2
    assert "invalid choice: 'surgeon'" in bad_role.err
    assert "kim" not in {u.username for u in desk.workflow.users()}


# --- the inbox ----------------------------------------------------------------------------------


def test_questions_add_list_and_show(desk: Desk, run_cli: RunCli, as_user: Any) -> None:
    who = as_user("doctor")
    calm = run_cli(
        "questions",
        "add",
        "My knee clicks when I climb stairs.",
        "--age",
        "74",
        "--sex",
        "f",
        "--specialty",
        "orthopedics",
        "--asker",
        "Anonymous",
        *who,
    )
    assert (calm.code, calm.out) == (0, "added question #1\n")
    flagged = run_cli("questions", "add", "Crushing chest pain and I am sweating.", *who)
    assert (flagged.code, flagged.out) == (0, "added question #2 (red flags: Chest pain)\n")
    lines = run_cli("questions", "list").out.splitlines()
    assert lines[0].startswith("#2 ")
    assert "RED FLAG" in lines[0]
    assert "Orthopedics · Anonymous, 70-79 year old female: My knee clicks" in lines[1]
    assert run_cli("questions", "list", "--search", "KNEE", "--json").json()[0]["id"] == 1
    assert run_cli("questions", "list", "--status", "approved").err == "no questions match\n"
    shown = run_cli("questions", "show", "#1", "--json").json()
    assert shown["question"]["specialty"] == "Orthopedics"
    assert (shown["versions"], shown["approvals"]) == ([], [])
    text = run_cli("questions", "show", "2").out
    assert "RED FLAG: Chest pain" in text


@pytest.mark.parametrize(
    ("args", "password", "code", "message"),
    [
        (["questions", "add", "Knee pain.", "--user", "doctor"], "wrong-pass", 5, "wrong username"),
        (["questions", "add", "Knee pain.", "--user", "ghost"], "doctor-pass-1", 5, "wrong user"),
        (["questions", "add", "Knee pain.", "--user", "reviewer"], "reviewer-pass-1", 5, "may not"),
        (["questions", "add", "Knee pain."], "doctor-pass-1", 2, "needs --user NAME"),
        (["questions", "add", "--user", "doctor"], "doctor-pass-1", 2, "needs the question TEXT"),
        (["questions", "add", "  ", "--user", "doctor"], "doctor-pass-1", 2, "question is empty"),
        (
            ["questions", "add", "Knee pain.", "--age", "old", "--user", "doctor"],
            "doctor-pass-1",
            2,
            "age group 'old'",
        ),
        (["questions", "show", "99"], None, 2, "there is no question 99"),
        (["questions", "show", "abc"], None, 2, "give a question number, not 'abc'"),
    ],
)
def test_questions_errors_are_one_line_with_their_exit_code(
    desk: Desk,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    password: str | None,
    code: int,
    message: str,
) -> None:
    if password:
        monkeypatch.setenv("DRAFTER_PASSWORD", password)
    result = run_cli(*args)
    assert result.code == code
    assert result.err.startswith("drafter: error: ")
    assert message in result.err
    assert len(result.err.splitlines()) == 1
    assert desk.workflow.questions() == []


def test_no_password_and_no_terminal_is_refused(
    desk: Desk, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    result = run_cli("questions", "add", "Knee pain.", "--user", "doctor")
    assert result.code == 5
    assert "set $DRAFTER_PASSWORD" in result.err


def test_an_import_with_broken_lines_names_them_and_adds_the_rest(
    desk: Desk, run_cli: RunCli, as_user: Any, tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"question": "Ringing ears."}, "{oops", {"question": ""}]
    )
    result = run_cli("questions", "add", "--file", str(path), *as_user("editor"))
    assert result.code == 0
    assert result.out == "1 questions added, 2 skipped\n"
    assert result.err.splitlines()[0].startswith(f"skipped {path}:2: not valid JSON")
    assert result.err.splitlines()[1] == (
        f"skipped {path}:3: the question is empty: type what the patient asked"
    )
    only_bad = write_jsonl(tmp_path / "bad.jsonl", ["{oops"])
    assert run_cli("questions", "add", "--file", str(only_bad), *as_user("editor")).code == 1


def test_a_role_that_may_not_draft_is_refused_before_the_model_runs(
    desk: Desk,
    run_cli: RunCli,
    as_user: Any,
    sample_kb: SampleKb,
    openai_stub: tuple[Any, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub, url = openai_stub
    monkeypatch.setenv("DRAFTER_DATA_DIR", str(sample_kb.settings.data_dir))  # only read
    monkeypatch.setenv("DRAFTER_OPENAI_BASE_URL", url)
    q = desk.workflow.add_question(desk.doctor, GOUT)
    result = run_cli("questions", "draft", str(q.id), "--backend", "openai", *as_user("reviewer"))
    assert result.code == 5
    assert "reviewer (reviewer) may not draft" in result.err
    assert stub.requests == []
    assert desk.workflow.versions(q.id) == []


# --- approve ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "args", "code", "message"),
    [
        ("reviewer", [], 5, "reviewer (reviewer) may not approve reply"),
        ("editor", [], 5, "editor (editor) may not approve reply"),
        ("doctor", ["--part", "explainer"], 5, "doctor (doctor) may not approve explainer"),
        ("doctor", ["--version", "9"], 2, "has no version 9"),
    ],
)
def test_approve_refuses_the_wrong_role_and_a_missing_version(
    desk: Desk, run_cli: RunCli, as_user: Any, user: str, args: list[str], code: int, message: str
) -> None:
    q = desk.workflow.add_question(desk.doctor, GOUT)
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(GOUT))
    result = run_cli("approve", str(q.id), *args, *as_user(user))
    assert result.code == code
    assert message in result.err
    assert desk.workflow.approvals(q.id) == []


def test_approve_an_unknown_question(desk: Desk, run_cli: RunCli, as_user: Any) -> None:
    result = run_cli("approve", "99", *as_user("doctor"))
    assert (result.code, result.err) == (2, "drafter: error: there is no question 99\n")


def test_approve_without_a_knowledge_base_warns_and_keeps_the_approval(
    desk: Desk, run_cli: RunCli, as_user: Any
) -> None:
    q = desk.workflow.add_question(desk.doctor, GOUT)
    desk.workflow.save_draft(desk.doctor, q.id, ai_draft(GOUT))
    result = run_cli("approve", str(q.id), *as_user("doctor"))
    assert result.code == 0
    assert result.out == f"question #{q.id}: reply of version 1 approved by Dr. Ana Ruiz\n"
    note, warning = result.err.splitlines()
    assert note == (
        "drafter: note: the short reply is the model's text, unedited: it enters the knowledge "
        "base marked as AI-written and unedited (recorded in the audit log)"
    )
    assert warning.startswith("drafter: warning: not added to the knowledge base (")
    assert "approve again to retry" in warning
    assert desk.workflow.question(q.id).status == "approved"
    events = run_cli("audit", "--question", str(q.id), "--json").json()
    assert [e["action"] for e in events][-2:] == ["approve.reply", "publish.failed"]
    assert "drafter ingest" in events[-1]["detail"]["error"]
    explainer = run_cli("approve", str(q.id), "--part", "explainer", *as_user("editor"))
    assert explainer.code == 0
    assert "explainer of version 1 approved by Elena Marsh" in explainer.out


# --- audit and export ---------------------------------------------------------------------------


def test_audit_lists_events_as_text_or_json_filtered_by_time_and_question(
    desk: Desk, run_cli: RunCli
) -> None:
    first = desk.workflow.add_question(desk.doctor, "First: eczema on my hands.")
    cut = desk.workflow.audit()[-1].at + timedelta(microseconds=1)
    second = desk.workflow.add_question(desk.editor, "Second: acne on my jaw.")
    events = run_cli("audit", "--json").json()
    assert [e["action"] for e in events][-2:] == ["question.add", "question.add"]
    assert all(e["at"].endswith("Z") for e in events)
    assert set(events[-1]) == {
        "id",
        "at",
        "actor",
        "action",
        "question_id",
        "version_id",
        "model",
        "prompt_version",
        "detail",
    }
    since = run_cli("audit", "--since", cut.isoformat(), "--json").json()
    assert [(e["actor"], e["question_id"]) for e in since] == [("editor", second.id)]
    plus_two = cut.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert run_cli("audit", "--since", plus_two, "--json").json() == since
    assert run_cli("audit", "--since", "2999-01-01", "--json").json() == []
    by_question = run_cli("audit", "--question", str(first.id), "--json").json()
    assert [e["question_id"] for e in by_question] == [first.id]
    text = run_cli("audit", "--question", str(second.id)).out.splitlines()
    assert len(text) == 1
    assert text[0].split()[2:5] == ["editor", "question.add", f"#{second.id}"]
    bad = run_cli("audit", "--since", "last tuesday")
    assert (bad.code, bad.err) == (
        2,
        "drafter: error: --since 'last tuesday' is not a date or time like 2026-11-25T09:00\n",
    )


def test_export_gives_the_approved_page_in_markdown_and_html(
    desk: Desk, run_cli: RunCli, tmp_path: Path
) -> None:
    qid = approved(desk)
    md = run_cli("export", str(qid))
    assert md.code == 0
    assert "Approved by Dr. Ana Ruiz on " in md.out
    assert "# Gout in the Big Toe" in md.out
    assert "## Doctor's reply" in md.out
    assert "50-59 year old male" in md.out
    html = run_cli("export", str(qid), "--format", "html")
    assert html.out.lstrip().lower().startswith("<!doctype html>")
    assert "Approved by Dr. Ana Ruiz" in html.out
    assert "<h2>Doctor's reply</h2>" in html.out
    out = tmp_path / "page.html"
    written = run_cli("export", str(qid), "--format", "html", "--out", str(out))
    assert (written.code, written.out) == (0, f"wrote {out}\n")
    assert out.read_text(encoding="utf-8") == html.out.removesuffix("\n")
    q = desk.workflow.add_question(desk.doctor, "Not approved yet.")
    missing = run_cli("export", str(q.id))
    assert (missing.code, missing.err) == (
        2,
        f"drafter: error: question #{q.id} has no approved reply yet\n",
    )


# --- the whole path, with a model server and a knowledge base -----------------------------------


def test_from_question_to_draft_to_approval_to_the_next_search(
    desk: Desk,
    run_cli: RunCli,
    as_user: Any,
    sample_kb: SampleKb,
    openai_stub: tuple[Any, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub, url = openai_stub
    stub.responder = page_responder
    stub.replies = ["Sudden Gout Attack in the Big Toe"]  # the first title; the rest: responder
    data = sample_kb.copy_to(tmp_path / "kb")
    for name, value in {
        "DRAFTER_DATA_DIR": str(data),
        "DRAFTER_OPENAI_BASE_URL": url,
        "DRAFTER_OPENAI_API_KEY": "sk-test",
        "DRAFTER_OPENAI_MODEL": "stub-model",
    }.items():
        monkeypatch.setenv(name, value)
    who = as_user("doctor")
    assert run_cli("questions", "add", GOUT, "--specialty", "Orthopedics", *who).code == 0
    first = run_cli("questions", "draft", "1", "--backend", "openai", *who)
    problems = desk.workflow.versions(1)[0].details["problems"]
    assert (first.code, first.out) == (0, "question #1: saved draft version 1 (complete)\n"), (
        problems
    )
    second = run_cli("questions", "draft", "1", "--backend", "openai", *who)
    assert second.out == "question #1: saved draft version 2 (complete)\n"
    shown = run_cli("questions", "show", "1", "--json").json()
    assert [(v["number"], v["kind"], v["model"]) for v in shown["versions"]] == [
        (1, "ai", "openai:stub-model"),
        (2, "regenerate", "openai:stub-model"),
    ]
    assert shown["versions"][0]["title"] == "Sudden Gout Attack in the Big Toe"
    approve = run_cli("approve", "1", "--version", "1", *who)
    assert approve.code == 0, approve.err
    assert approve.out.splitlines() == [
        "question #1: reply of version 1 approved by Dr. Ana Ruiz",
        "added to the knowledge base as drafter-q1",
    ]
    found = run_cli(
        "search", "Woke up with a swollen, burning hot big toe joint. Is it gout?", "--json"
    ).json()
    # approved without an edit: found, but below the doctor-written answers, and said so
    ours = next(h for h in found["similar_qa"] if h["id"] == "drafter-q1")
    assert ours == found["similar_qa"][-1]
    assert ours["title"] == "Sudden Gout Attack in the Big Toe"
    assert "AI draft approved unedited" in ours["why"]
    log = run_cli("audit", "--question", "1", "--json").json()
    assert [(e["actor"], e["action"]) for e in log] == [
        ("doctor", "question.add"),
        ("doctor", "draft.create"),
        ("doctor", "draft.regenerate"),
        ("doctor", "approve.reply"),
        ("doctor", "publish.knowledge_base"),
    ]
    assert log[1]["model"] == "openai:stub-model"
    assert "reply=short_reply@v" in log[1]["prompt_version"]
    page = run_cli("export", "1").out
    assert "Approved by Dr. Ana Ruiz" in page
    assert "# Sudden Gout Attack in the Big Toe" in page
