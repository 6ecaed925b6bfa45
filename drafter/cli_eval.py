"""The `drafter eval` command (issue 5; being built)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from drafter.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Handler] = {}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """No commands yet."""
