"""The layout stays readable: layers hold, modules stay small, importing changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.core.environment import OFFLINE_ENV

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = [
    p
    for folder in ("drafter", "knowledge", "prompts", "ui", "bench", "tests")
    for p in sorted((ROOT / folder).rglob("*.py"))
    if "migrations" not in p.parts
]
PAGES = sorted((ROOT / "ui" / "views").glob("*.py"))
MAX_MODULE_LINES = 500
MAX_PAGE_LINES = 200


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_layers_contract_holds() -> None:
    """import-linter's contracts in pyproject.toml: no layer imports one above it."""
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_the_size_limit(path: Path) -> None:
    assert _lines(path) <= MAX_MODULE_LINES


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_streamlit_page_is_over_the_size_limit(path: Path) -> None:
    assert _lines(path) <= MAX_PAGE_LINES


def _without_offline_flags() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in OFFLINE_ENV}


def _changed_env(code: str) -> list[str]:
    """The environment variables that running `code` in a fresh interpreter changed."""
    script = (
        "import json, os; before = dict(os.environ)\n"
        f"{code}\n"
        "after = dict(os.environ)\n"
        "print(json.dumps(sorted(k for k in before.keys() | after.keys() "
        "if before.get(k) != after.get(k))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_without_offline_flags(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_library_changes_no_environment_variable() -> None:
    """Offline flags are the entry points' job (drafter.core.environment), not an import's."""
    imports = (
        "import drafter.services, drafter.core.settings, drafter.drafting.pipeline, "
        "drafter.workflow.doctor, knowledge.retrieval, knowledge.embeddings"
    )
    assert _changed_env(imports) == []


def test_the_cli_goes_offline_before_running_a_command(tmp_path: Path) -> None:
    code = "from drafter.cli.main import main\nmain(['search', 'knee pain'])"
    assert set(_changed_env(code)) >= set(OFFLINE_ENV)
