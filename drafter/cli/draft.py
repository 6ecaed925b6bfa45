"""Drafting for one person at a terminal: a whole page for a question (draft), or the app (ui)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from drafter.cli.progress import StderrListener
from drafter.cli.registry import command

if TYPE_CHECKING:
    from drafter.services import Services

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def _draft_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question")
    p.add_argument("--age", help="asker's age group, e.g. 70-79")
    p.add_argument("--sex", help="asker's sex: female, male, other")
    p.add_argument("--specialty", help="restrict sources to this specialty")
    p.add_argument("--backend", choices=["local", "openai"], help="default DRAFTER_LLM_BACKEND")
    p.add_argument("--format", choices=["md", "json", "html"], default="md")
    p.add_argument("-q", "--quiet", action="store_true", help="no live text on stderr")


@command(
    "draft",
    help="draft a whole page (title, reply, More Info) for a patient question",
    description="Retrieves similar Q&As and FAQ, then drafts a title, a short reply and a "
    "'More Info' explainer that cite them. The output is a DRAFT: nothing is sent.",
    arguments=_draft_arguments,
)
def cmd_draft(args: argparse.Namespace, services: Services) -> int:
    from drafter.core.question import PatientQuestion
    from drafter.drafting.page import page_html, page_markdown
    from drafter.drafting.pipeline import draft_page

    question = PatientQuestion.create(args.question, args.age, args.sex, args.specialty)
    retriever = services.retriever()
    llm = services.chat_backend(args.backend)
    draft = draft_page(
        question,
        retriever=retriever,
        llm=llm,
        settings=services.settings,
        listener=StderrListener(live=sys.stderr.isatty() and not args.quiet),
        triage=services.triager(),
    )
    if args.format == "json":
        print(json.dumps(draft.to_json(), indent=2, ensure_ascii=False))
    else:
        print(page_html(draft) if args.format == "html" else page_markdown(draft))
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in draft.timings.items())
    print(f"draft {draft.status} in {sum(draft.timings.values()):.1f}s ({timing})", file=sys.stderr)
    if draft.error:
        print(f"drafter: error: {draft.error} (the partial text is above)", file=sys.stderr)
        return 4
    return 0


def _ui_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")


@command("ui", help="start the Streamlit app", arguments=_ui_arguments)
def cmd_ui(args: argparse.Namespace, services: Services) -> int:
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    return subprocess.call(cmd)
