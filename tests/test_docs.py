"""The README stays true: every setting documented, the two commands first."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from drafter.core.settings import Settings, settings_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_readme(name: str) -> None:
    assert f"`DRAFTER_{name.upper()}`" in README


def test_readme_documents_no_setting_that_does_not_exist() -> None:
    documented = set(re.findall(r"`DRAFTER_([A-Z_]+)`", README))
    assert documented <= {n.upper() for n in Settings.model_fields}


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    assert "make run" in first_block
    assert "make test" in first_block


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_settings_table_is_the_one_the_settings_describe() -> None:
    """README's configuration table is written from the fields' descriptions: regenerate it with
    `python -m drafter.core.settings` when a setting changes."""
    assert settings_table() in README


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_description(name: str) -> None:
    assert (Settings.model_fields[name].description or "").strip()


def _modules() -> list[Path]:
    """Every module of the library and the app that holds code (a docstring-only package
    `__init__.py` holds none); the migrations are listed as their folder."""
    found = []
    for folder in ("drafter", "knowledge", "prompts", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            body = ast.parse(path.read_text(encoding="utf-8")).body
            if path.name == "__init__.py" and all(
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body
            ):
                continue
            found.append(path.relative_to(ROOT))
    return found


@pytest.mark.parametrize("module", _modules(), ids=str)
def test_every_module_is_in_the_architecture_table(module: Path) -> None:
    table = ARCHITECTURE.split("## Packages and modules", 1)[1].split("\n## ", 1)[0]
    assert f"`{module.as_posix()}`" in table


@pytest.mark.parametrize(
    "doc", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_every_file_the_docs_name_exists(doc: Path) -> None:
    named = set(
        re.findall(
            r"`((?:drafter|knowledge|prompts|ui|tests|bench|docs|deploy)/[\w./-]+)`",
            doc.read_text(encoding="utf-8"),
        )
    )
    missing = sorted(p for p in named if "*" not in p and not (ROOT / p.split(" ")[0]).exists())
    assert missing == []
