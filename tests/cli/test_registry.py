"""The one command registry: `drafter --help` lists every registered command in its order, and
each handler runs on the one Services that `main` built."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest

from drafter.cli import main as cli_main
from drafter.cli import registry
from drafter.cli.draft import APP
from drafter.services import Services
from tests.conftest import RunCli


def squeeze(text: str) -> str:
    """The text without whitespace: argparse wraps help at spaces and after hyphens."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Services]:
    """Every Services constructed while the test runs, wherever it is constructed."""
    instances: list[Services] = []
    original = Services.__init__

    def counting(self: Services, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        instances.append(self)

    monkeypatch.setattr(Services, "__init__", counting)
    return instances


def test_help_lists_every_registered_command_in_order(run_cli: RunCli) -> None:
    result = run_cli("--help")
    assert result.code == 0
    listed = re.findall(r"^ {4}(\S+)", result.out, flags=re.MULTILINE)
    assert listed == list(cli_main.ORDER)
    assert set(listed) == set(registry.COMMANDS)
    for name, command in registry.COMMANDS.items():
        assert squeeze(command.help) in squeeze(result.out), name


@pytest.mark.parametrize("name", cli_main.ORDER)
def test_every_command_has_its_help(name: str, run_cli: RunCli) -> None:
    result = run_cli(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: drafter {name}")
    description = registry.COMMANDS[name].description
    if description:
        assert squeeze(description) in squeeze(result.out)


def test_the_handler_gets_the_services_main_built(
    monkeypatch: pytest.MonkeyPatch, built: list[Services]
) -> None:
    seen: list[tuple[argparse.Namespace, Services]] = []

    def record(args: argparse.Namespace, services: Services) -> int:
        seen.append((args, services))
        return 7

    stats = dataclasses.replace(registry.COMMANDS["stats"], handler=record)
    monkeypatch.setitem(registry.COMMANDS, "stats", stats)
    assert cli_main.main(["stats", "--json"]) == 7
    assert len(built) == 1
    [(args, services)] = seen
    assert services is built[0]
    assert args.command == "stats"
    assert args.json is True


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["user", "list"], 0),
        (["questions", "list", "--json"], 0),
        (["audit", "--json"], 0),
        (["explain", "--status"], 0),
        (["stats"], 3),  # no knowledge base yet
        (["search", "knee pain"], 3),
        (["draft", "knee pain"], 3),
    ],
)
def test_real_handlers_build_no_services_of_their_own(
    argv: list[str], code: int, run_cli: RunCli, built: list[Services]
) -> None:
    assert run_cli(*argv).code == code
    assert len(built) == 1


def test_a_bad_setting_is_reported_before_any_handler_runs(
    monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    monkeypatch.setenv("DRAFTER_SIMILAR_K", "0")
    result = run_cli("user", "list")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("drafter: error: bad setting DRAFTER_SIMILAR_K:")


def test_a_command_missing_from_the_order_is_refused() -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    with pytest.raises(RuntimeError, match="'ui'"):
        registry.add_parsers(sub, [n for n in cli_main.ORDER if n != "ui"])


def test_a_name_registered_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="'stats' is registered twice"):
        registry.command("stats", help="again", arguments=lambda p: None)(lambda a, s: 0)
    assert registry.COMMANDS["stats"].help == "what the knowledge base holds"


def test_ui_starts_the_app_of_this_checkout() -> None:
    assert APP.is_file()
    assert APP.parent.name == "ui"
