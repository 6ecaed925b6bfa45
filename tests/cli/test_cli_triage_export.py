"""`drafter triage export`: the doctors' confirmed and dismissed findings as a labelled set that
`load_eval_set` and `drafter eval-triage` read, with clear errors for a bad --out."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from drafter.evaluation.sets import load_eval_set
from tests.conftest import RunCli
from tests.support.workflow_kit import Desk, fixed_triage, make_desk

CHEST = "Since this morning I have crushing chest pain and I cannot breathe properly."
NOSE = "I cannot breathe through my nose since my cold, is a decongestant spray safe?"


@pytest.fixture
def reviewed(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """The CLI's database with one confirmed and one dismissed-only question, and one unreviewed."""
    desk: Desk = make_desk(tmp_path_factory, tmp_path)
    monkeypatch.setenv("DRAFTER_DATABASE_URL", desk.url)
    workflow = replace(desk.workflow, triage=fixed_triage)
    chest = workflow.add_question(desk.doctor, CHEST)
    nose = workflow.add_question(desk.doctor, NOSE)
    workflow.add_question(desk.doctor, "Again crushing chest pain today.")  # not reviewed
    workflow.review_finding(desk.doctor, chest.id, "chest_pain", "confirmed")
    workflow.review_finding(desk.doctor, chest.id, "breathing", "dismissed", "talks in sentences")
    workflow.review_finding(desk.doctor, nose.id, "breathing", "dismissed", "a blocked nose")
    return chest.id, nose.id


def test_export_prints_one_labelled_line_per_reviewed_question(
    run_cli: RunCli, reviewed: tuple[int, int]
) -> None:
    chest, nose = reviewed
    result = run_cli("triage", "export")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [(x["id"], x["kind"], x["red_flags"]) for x in lines] == [
        (f"q{chest}", "positive", ["chest_pain"]),
        (f"q{nose}", "hard_negative", []),
    ]
    assert lines[0]["evidence"] == ["crushing chest pain"]
    assert lines[0]["dismissed"] == [
        {"category": "breathing", "reason": "talks in sentences", "by": "doctor"}
    ]
    assert {x["source"] for x in lines} == {"doctor_review"}
    assert "wrote 2 reviewed questions (1 with a confirmed finding, 1 with all dismissed)" in (
        result.err
    )


def test_the_exported_file_is_a_set_eval_triage_reads(
    run_cli: RunCli, reviewed: tuple[int, int], tmp_path: Path
) -> None:
    out = tmp_path / "reviewed.jsonl"
    result = run_cli("triage", "export", "--out", str(out))
    assert result.code == 0, result.err
    assert f"to {out}" in result.err
    evalset = load_eval_set(out)
    assert evalset.issues == []
    assert [(i.question, i.red_flags) for i in evalset.items] == [
        (CHEST, ("chest_pain",)),
        (NOSE, ()),
    ]
    report = run_cli("eval-triage", str(out), "--json", "--layers", "lexicon", "-q")
    assert report.code == 0, report.err
    assert (report.json()["positives"], report.json()["negatives"]) == (1, 1)
    assert report.json()["per_category"]["chest_pain"]["expected"] == 1


def test_nothing_reviewed_exports_nothing(
    run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DRAFTER_DATABASE_URL", make_desk(tmp_path_factory, tmp_path).url)
    result = run_cli("triage", "export")
    assert (result.code, result.out) == (0, "")
    assert "wrote 0 reviewed questions" in result.err


@pytest.mark.parametrize(
    ("out", "message"),
    [(".", "is a folder"), ("missing/reviewed.jsonl", "the folder missing does not exist")],
)
def test_a_bad_out_is_a_clear_error(
    run_cli: RunCli, reviewed: tuple[int, int], out: str, message: str
) -> None:
    result = run_cli("triage", "export", "--out", out)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_out_belongs_to_export_and_help_explains_it(run_cli: RunCli) -> None:
    refused = run_cli("triage", "crushing chest pain", "--out", "x.jsonl")
    assert refused.code == 2
    assert "--out goes with `drafter triage export`" in refused.err
    assert "triage export" in run_cli("triage", "--help").out.replace("\n", " ")
