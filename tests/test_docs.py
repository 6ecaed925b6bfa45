"""The README stays true: every setting documented, the two commands first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drafter.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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
