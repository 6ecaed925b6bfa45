"""The `drafter` command: the parser built from the registry, one Services for the run, and a
DrafterError turned into a one-line message (scrubbed of secrets) and its exit code. The commands
live in one module per group: knowledge (ingest, search, stats, eval-retrieval), draft (draft,
ui), workflow (user, questions, approve, audit, export), explain and eval."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from drafter import __version__
from drafter.cli import check, draft, explain, knowledge, registry, triage, workflow
from drafter.cli import eval as evaluation
from drafter.core.environment import go_offline
from drafter.core.errors import DrafterError
from drafter.core.secrets import scrub
from drafter.core.settings import load_settings
from drafter.services import Services

# Importing a group's module registers its commands.
GROUPS = (knowledge, draft, check, triage, workflow, explain, evaluation)
# The order `drafter --help` lists the commands in; it must name every registered command.
ORDER = (
    "ingest",
    "search",
    "draft",
    "check",
    "stats",
    "eval-retrieval",
    "triage",
    "eval-triage",
    "user",
    "questions",
    "approve",
    "audit",
    "export",
    "explain",
    "eval",
    "ui",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drafter",
        description="Drafts grounded replies for an ask-a-doctor site. Settings come from "
        "DRAFTER_* environment variables or .env (see README).",
    )
    parser.add_argument("--version", action="version", version=f"drafter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registry.add_parsers(sub, ORDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    go_offline()
    services: Services | None = None
    try:
        services = Services(load_settings())
        return registry.COMMANDS[args.command].handler(args, services)
    except DrafterError as exc:
        print(f"drafter: error: {scrub(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("drafter: interrupted", file=sys.stderr)
        return 130
    finally:
        if services is not None:
            services.close()


if __name__ == "__main__":
    sys.exit(main())
