"""Importers: bad lines reported with file and line, mapped CSV/JSONL, format auto-detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drafter.core.errors import InputError
from drafter.core.records import FaqArticle, QAPair
from drafter.core.settings import load_settings
from drafter.services import Services
from knowledge.importers import FORMATS, ImportIssue, detect_format, parse_file
from tests.conftest import RunCli, WriteJsonl

QA = {"id": "qa-1", "title": "Knee pain", "question": "My knee hurts on stairs.", "answer": "Rest."}
FAQ = {"id": "faq-acne", "title": "Acne", "body": "## What\nSpots.\n## Care\nWash.", "kind": "faq"}
MIXED_ROWS: list[dict[str, Any] | str] = [
    QA,  # line 1: good Q&A
    '{"id": "qa-2", "title": "broken", ',  # line 2: not JSON
    {"id": "qa-3", "title": "No answer", "question": "Why?"},  # line 3: answer missing
    {**QA, "id": "qa-4", "colour": "blue"},  # line 4: unknown field
    "",  # line 5: blank, ignored
    FAQ,  # line 6: good FAQ article
]
EXPECTED_ISSUES = [(2, "not valid JSON"), (3, "answer: Field required"),
                   (4, "colour: Extra inputs are not permitted")]  # fmt: skip


def split(parsed: list[tuple[int, Any]]) -> tuple[list[tuple[int, Any]], list[ImportIssue]]:
    records = [(n, r) for n, r in parsed if not isinstance(r, ImportIssue)]
    return records, [r for _, r in parsed if isinstance(r, ImportIssue)]


def test_parse_file_reports_each_bad_line(tmp_path: Path, write_jsonl: WriteJsonl) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", MIXED_ROWS)
    records, issues = split(list(parse_file(path)))
    assert [(n, r.id) for n, r in records] == [(1, "qa-1"), (6, "faq-acne")]
    assert isinstance(records[1][1], FaqArticle)
    assert [(i.path, i.line) for i in issues] == [(path, n) for n, _ in EXPECTED_ISSUES]
    for issue, (line, message) in zip(issues, EXPECTED_ISSUES, strict=True):
        assert message in issue.message
        assert str(issue).startswith(f"{path}:{line}: ")


@pytest.mark.usefixtures("embedder")
def test_cli_ingest_reports_bad_lines_and_imports_good_ones(
    tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", MIXED_ROWS)
    result = run_cli("ingest", str(path), "-q")
    assert result.code == 0
    skipped = [line for line in result.err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3
    for line, (number, message) in zip(skipped, EXPECTED_ISSUES, strict=True):
        assert line.startswith(f"skipped {path}:{number}: ")
        assert message in line
    assert f"{path}: 1 Q&As, 1 FAQ articles imported, 3 skipped" in result.out
    assert "1 Q&As, 2 FAQ chunks" in result.out
    store = Services(load_settings()).store()
    assert [i.id for i in store.get("qa")] == ["qa-1"]


def test_cli_ingest_all_bad_exits_1(
    tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", ["{nope", {"id": "a", "title": "t", "q": "?"}])
    result = run_cli("ingest", str(path), "-q")
    assert result.code == 1
    assert f"{path}: 0 Q&As, 0 FAQ articles imported, 2 skipped" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "no such file"),
        ([], "nothing to import"),
        (["rows.jsonl", "--format", "nope"], "unknown format 'nope'"),
        (["rows.jsonl", "--map", "question"], "--map takes FIELD=COLUMN"),
        (["rows.jsonl", "--map", "colour=c", "--kind", "qa"], "unknown qa fields: colour"),
    ],
)
def test_cli_ingest_usage_errors(
    args: list[str], message: str, tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    write_jsonl(tmp_path / "rows.jsonl", [QA])  # tmp_path is the working directory
    result = run_cli("ingest", *args, "-q")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("drafter: error: ")
    assert message in result.err


CSV_TEXT = """\
post_id,headline,body,reply,area,age
,Sore knee,My knee hurts on stairs.,Try physiotherapy.,orthopedics,74
,,"Heartburn at night, what can I do?",Raise the head of the bed.,Gastroenterology,
,No reply here,Question without an answer,,Cardiology,50
"""
CSV_MAP = {"title": "headline", "question": "body", "answer": "reply",
           "specialty": "area", "age_group": "age"}  # fmt: skip


def test_csv_with_mapping(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    records, issues = split(list(parse_file(path, mapping=CSV_MAP, kind="qa")))
    assert [n for n, _ in records] == [2, 3]
    first, second = (r for _, r in records)
    assert isinstance(first, QAPair)
    assert (first.title, first.specialty, first.age_group) == ("Sore knee", "Orthopedics", "70-79")
    assert second.title == "Heartburn at night, what can I do?"  # derived from the question
    assert first.id.startswith("qa-")
    assert first.id != second.id
    assert [(i.line, "answer" in i.message) for i in issues] == [(4, True)]
    again, _ = split(list(parse_file(path, mapping=CSV_MAP, kind="qa")))
    assert [r.id for _, r in again] == [first.id, second.id]


@pytest.mark.usefixtures("embedder")
def test_cli_csv_mapping_reimport_is_stable(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    args = ["ingest", str(path), "-q", "--kind", "qa"]
    args += [a for field, col in CSV_MAP.items() for a in ("--map", f"{field}={col}")]
    assert run_cli(*args).code == 0
    store = Services(load_settings()).store()
    ids = sorted(i.id for i in store.get("qa"))
    result = run_cli(*args)
    assert result.code == 0
    assert f"{path}:4: " in result.err
    assert sorted(i.id for i in store.get("qa")) == ids
    assert len(ids) == 2


def test_generic_jsonl_mapping_for_faq(tmp_path: Path, write_jsonl: WriteJsonl) -> None:
    rows = [{"name": "Gout", "content": "## Cause\nUric acid.", "link": "https://x.test/gout"},
            {"name": "Gout", "content": "## Cause\nUric acid.", "link": "https://x.test/gout"},
            {"name": "Lupus", "content": "An autoimmune disease."}]  # fmt: skip
    path = write_jsonl(tmp_path / "articles.jsonl", rows)
    mapping = {"title": "name", "body": "content", "url": "link"}
    records, issues = split(list(parse_file(path, mapping=mapping)))  # kind from 'body'
    (_, first), (_, second) = records
    assert isinstance(first, FaqArticle)
    assert first.url == "https://x.test/gout"
    assert first.id == second.id  # same content, same id
    again, _ = split(list(parse_file(path, mapping=mapping)))
    assert again[0][1].id == first.id  # and the same id again on re-import
    assert [(i.line, i.message) for i in issues] == [(3, "missing column(s): link")]


PUBLIC_ROWS: list[tuple[str, dict[str, Any], type, dict[str, Any]]] = [
    ("medquad-articles",
     {"id": "GHR_1", "title": "Acne", "topic": "Acne", "umls_cuis": ["C0001144"],
      "sections": [{"question": "What is acne?", "question_type": "information"}],
      "source_url": "https://medlineplus.test/acne", "text": "## What is acne?\nSpots."},
     FaqArticle, {"title": "Acne", "body": "## What is acne?\nSpots.",
                  "url": "https://medlineplus.test/acne"}),
    ("medquad-qa",
     {"id": "GHR_1_Sec1", "qid": "1-1", "title": "Acne", "question": "What is acne?",
      "answer": "Spots.", "question_type": "information", "document_id": "1"},
     FaqArticle, {"title": "Acne: What is acne?", "body": "Spots."}),
    ("doctor-qa",
     {"id": "questiondoctors-1", "site": "questiondoctors.com", "title": "hiv test retest?",
      "question": "Is my HIV test conclusive?", "answer": "you are fine",
      "answer_author": "Dr. A", "tags": ["hiv"], "specialty": None},
     QAPair, {"title": "hiv test retest?", "doctor": "Dr. A", "answer": "you are fine"}),
    ("liveqa",
     {"id": "TQ1", "title": "Noonan", "subject": "Noonan syndrome",
      "question": "Noonan syndrome\nIs it linked to kidney cysts?",
      "message": "Is it linked to kidney cysts?", "question_types": ["EFFECT"],
      "reference_answers": [{"aid": "TQ1A1", "answer": "Sometimes.", "url": "https://a.test"}]},
     QAPair, {"title": "Noonan syndrome", "question": "Is it linked to kidney cysts?",
              "answer": "Sometimes.", "source_url": "https://a.test"}),
    ("covid-faq",
     {"id": "covidfaq-1", "title": "What is COVID?", "question": "What is COVID?",
      "answer": "A disease.", "source_name": "FAQ", "source_url": "\nhttps://cdc.test/faq ",
      "country": "USA", "lang": "en"},
     FaqArticle, {"title": "What is COVID?", "body": "A disease.", "url": "https://cdc.test/faq",
                  "specialty": "Infectious Disease"}),
    ("question-answer",
     {"id": "kqa-1", "question": "Tell me about Lexapro. Is it safe?", "answer": "An SSRI.",
      "must_have": ["SSRI"], "icd10_diagnosis": "F32"},
     QAPair, {"id": "kqa-1", "title": "Tell me about Lexapro.", "answer": "An SSRI."}),
    ("question-answer",
     {"question": "how does rivastigmine interact", "answer": "Ask your pharmacist.",
      "focus_drug": "rivastigmine"},
     QAPair, {"title": "how does rivastigmine interact"}),
    ("drafter", {**QA, "specialty": "cardiology", "sex": "m"},
     QAPair, {"id": "qa-1", "specialty": "Cardiology", "sex": "male"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row", "model", "fields"), PUBLIC_ROWS)
def test_format_auto_detection(
    name: str, row: dict[str, Any], model: type, fields: dict[str, Any],
    tmp_path: Path, write_jsonl: WriteJsonl,
) -> None:  # fmt: skip
    assert detect_format(row).name == name
    path = write_jsonl(tmp_path / "rows.jsonl", [row, row])
    parsed = [r for _, r in parse_file(path) if not isinstance(r, ImportIssue)]
    assert [type(r) for r in parsed] == [model, model]
    assert {key: getattr(parsed[0], key) for key in fields} == fields
    assert parsed[0].id == parsed[1].id  # ids are stable, generated ones included
    assert [type(r) for _, r in parse_file(path, name)] == [model, model]


def test_every_format_is_covered_by_detection_rows() -> None:
    assert {name for name, *_ in PUBLIC_ROWS} == set(FORMATS)


def test_liveqa_without_reference_answer_is_an_issue(
    tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    row = {"id": "TQ9", "subject": "s", "message": "m?", "reference_answers": []}
    path = write_jsonl(tmp_path / "live.jsonl", [row])
    [(line, issue)] = list(parse_file(path))
    assert (line, str(issue)) == (1, f"{path}:1: question has no reference answer")


def test_unknown_format_errors(tmp_path: Path, write_jsonl: WriteJsonl) -> None:
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format({"foo": 1, "bar": 2})
    path = write_jsonl(tmp_path / "odd.jsonl", [{"foo": 1, "bar": 2}])
    with pytest.raises(InputError, match="pass --format"):
        list(parse_file(path))
    with pytest.raises(InputError, match="unknown format 'nope'; known: medquad-articles"):
        list(parse_file(path, "nope"))


def test_cli_unknown_shape_is_one_line_error(
    tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    path = write_jsonl(tmp_path / "odd.jsonl", [{"foo": 1, "bar": 2}])
    result = run_cli("ingest", str(path), "-q")
    assert (result.code, result.err.count("\n")) == (2, 1)
    assert "cannot tell the format from fields ['bar', 'foo']" in result.err


def test_empty_file(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    assert list(parse_file(path)) == []
    result = run_cli("ingest", str(path), "-q")
    assert result.code == 0
    assert f"{path}: 0 Q&As, 0 FAQ articles imported, 0 skipped" in result.out
    assert "0 Q&As, 0 FAQ chunks" in result.out


def test_non_object_json_line(tmp_path: Path, write_jsonl: WriteJsonl) -> None:
    path = write_jsonl(tmp_path / "list.jsonl", ["[1, 2]", QA])
    assert [(n, str(r)) for n, r in parse_file(path)][0] == (1, f"{path}:1: not a JSON object")


@pytest.mark.usefixtures("embedder")
def test_cli_limit(tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli) -> None:
    rows = [{**QA, "id": f"qa-{n}", "question": f"Question number {n}?"} for n in range(5)]
    path = write_jsonl(tmp_path / "five.jsonl", rows)
    assert "3 Q&As, 0 FAQ articles imported" in run_cli("ingest", str(path), "--limit", "3").out
    assert Services(load_settings()).store().count("qa") == 3


def test_jsonl_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text("\ufeff" + json.dumps(QA) + "\n", encoding="utf-8")
    assert [type(r) for _, r in parse_file(path)] == [QAPair]


@pytest.mark.parametrize("change", [{"sex": 1}, {"specialty": 5}, {"specialty": ["Cardiology"]}])
def test_non_string_field_is_reported_not_raised(
    change: dict[str, Any], tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    path = write_jsonl(tmp_path / "typed.jsonl", [{**QA, **change}, {**QA, "id": "qa-2"}])
    records, issues = split(list(parse_file(path)))
    assert [i.line for i in issues] == [1]
    assert [r.id for _, r in records] == ["qa-2"]


def test_bad_first_row_does_not_change_the_format(tmp_path: Path, write_jsonl: WriteJsonl) -> None:
    first = {k: v for k, v in QA.items() if k != "title"}
    second = {**QA, "id": "qa-2", "specialty": "Cardiology", "age_group": "74"}
    path = write_jsonl(tmp_path / "rows.jsonl", [first, second])
    records, issues = split(list(parse_file(path)))
    assert [i.line for i in issues] == [1]
    assert [(r.id, r.specialty, r.age_group) for _, r in records] == [
        ("qa-2", "Cardiology", "70-79")
    ]
