"""The one registry of `drafter` commands: each is registered once with its name, its `--help`
texts, the function that adds its arguments and its handler; `main` builds the parser from it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drafter.services import Services

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

Handler = Callable[[argparse.Namespace, "Services"], int]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One subcommand: what `drafter --help` says about it, its arguments and its handler."""

    name: str
    help: str
    description: str | None
    arguments: Arguments
    handler: Handler

    def add_parser(self, sub: SubParsers) -> argparse.ArgumentParser:
        """Add this command's subparser with its help texts and arguments."""
        parser = sub.add_parser(self.name, help=self.help, description=self.description)
        self.arguments(parser)
        return parser


COMMANDS: dict[str, Command] = {}


def command(
    name: str, *, help: str, arguments: Arguments, description: str | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as the command `name`."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise RuntimeError(f"the command {name!r} is registered twice")
        COMMANDS[name] = Command(name, help, description, arguments, handler)
        return handler

    return register


def add_parsers(sub: SubParsers, order: Sequence[str]) -> None:
    """Add every registered command's subparser, in `order` (the order `--help` lists them)."""
    missing = set(COMMANDS) ^ set(order)
    if missing or len(order) != len(set(order)):
        raise RuntimeError(f"the command order and the registry differ: {sorted(missing)}")
    for name in order:
        COMMANDS[name].add_parser(sub)
