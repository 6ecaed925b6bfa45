"""`drafter triage` and `eval-triage` with the LLM layer on (DRAFTER_TRIAGE_LLM), the model being
the OpenAI-compatible stub on loopback: its findings are shown, its failures named, and
`--layers llm` measures it alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli, WriteJsonl

BLIND = "Woke up this morning and the right side of my world is gone, all a grey smudge."
VISION = json.dumps([{"category": "vision_loss", "words": "right side of my world is gone"}])


@pytest.fixture
def llm_on(openai_stub: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The LLM layer on, over the stub (an OpenAI embedder: no semantic layer, no local model)."""
    stub, url = openai_stub
    for name, value in {
        "DRAFTER_TRIAGE_LLM": "true",
        "DRAFTER_LLM_BACKEND": "openai",
        "DRAFTER_OPENAI_BASE_URL": url,
        "DRAFTER_EMBEDDING_BACKEND": "openai",
    }.items():
        monkeypatch.setenv(name, value)
    return stub


def test_triage_shows_what_the_llm_layer_found(llm_on: Any, run_cli: RunCli) -> None:
    llm_on.responder = lambda _body: VISION
    shown = run_cli("triage", BLIND)
    assert shown.code == 0, shown.err
    assert "[vision_loss]" in shown.out
    assert "found by llm" in shown.out
    (finding,) = run_cli("triage", "--json", BLIND).json()["findings"]
    start, end = finding["spans"][0]
    assert BLIND[start:end] == "right side of my world is gone"
    assert finding["layer"] == "llm"


def test_a_failing_model_is_named_and_the_lexicons_findings_still_print(
    llm_on: Any, run_cli: RunCli, write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    llm_on.responder = lambda _body: "Sorry, I cannot help with medical questions."
    text = "Crushing chest pain going to my jaw"
    shown = run_cli("triage", text)
    assert shown.code == 0, shown.err
    assert "[chest_pain]" in shown.out
    assert "the llm layer failed" in shown.out
    assert "not a JSON list" in shown.out
    data = run_cli("triage", "--json", text).json()
    assert [f["category"] for f in data["findings"]] == ["chest_pain"]
    assert "not a JSON list" in data["errors"]["llm"]
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": text}])
    (line,) = run_cli("triage", "--file", str(path), "--json").out.splitlines()
    assert set(json.loads(line)["errors"]) == {"llm"}


def test_eval_triage_measures_the_llm_layer_alone_and_counts_its_failures(
    llm_on: Any, run_cli: RunCli, write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    llm_on.responder = lambda body: VISION if "grey smudge" in json.dumps(body) else "no idea"
    path = write_jsonl(
        tmp_path / "set.jsonl",
        [
            {"id": "p1", "question": BLIND, "red_flags": ["vision_loss"]},
            {"id": "n1", "question": "My knee clicks on the stairs", "red_flags": []},
        ],
    )
    result = run_cli("eval-triage", str(path), "--json", "--layers", "llm", "-q")
    assert result.code == 0, result.err
    report = result.json()
    assert report["per_category"]["vision_loss"]["recall"] == 1.0
    assert report["layer_errors"] == {"llm": 1}  # the knee message's reply was unreadable
    shown = run_cli("eval-triage", str(path), "--layers", "llm", "-q")
    assert "the llm layer failed on 1 message(s)" in shown.out


def test_eval_triage_says_how_to_turn_the_llm_layer_on(
    run_cli: RunCli, write_jsonl: WriteJsonl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTER_EMBEDDING_BACKEND", "openai")
    monkeypatch.setenv("DRAFTER_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # never called
    path = write_jsonl(tmp_path / "set.jsonl", [{"question": "My knee", "red_flags": []}])
    result = run_cli("eval-triage", str(path), "--layers", "llm")
    assert result.code == 2
    assert "DRAFTER_TRIAGE_LLM=true" in result.err
    assert "Traceback" not in result.err
