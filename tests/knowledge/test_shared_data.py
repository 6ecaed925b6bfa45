"""Real public data from ../shared/data (skipped cleanly when it is absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drafter.core.records import Kind
from drafter.core.settings import load_settings
from drafter.services import Services
from knowledge.importers import ImportIssue, detect_format, parse_file, read_rows
from tests.conftest import SHARED_DATA, RunCli

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} is absent"),
]

# (file, detected format, kind, rows to embed and store). Every file is parsed for its first
# 300 lines; only 5 MedQuAD articles are stored: the first ones are long (85 chunks), and 300
# of them are ~2,200 chunks, about two minutes of embedding on two cores.
PUBLIC_FILES = [
    ("doctor_qa_scrapes/doctor_qa.jsonl", "doctor-qa", "qa", 300),
    ("medquad/medquad_articles.jsonl", "medquad-articles", "faq", 5),
    ("kqa/kqa_dev.jsonl", "question-answer", "qa", 300),
    ("trec_liveqa_med2017/liveqa_questions_dev.jsonl", "liveqa", "qa", 300),
    ("medicationqa/medicationqa.jsonl", "question-answer", "qa", 300),
    ("covid_qa_deepset/faq_covidbert_en.jsonl", "covid-faq", "faq", 300),
]
SUMMARY = re.compile(r": (\d+) Q&As, (\d+) FAQ articles imported, (\d+) skipped")


def shared_file(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.mark.parametrize(("relative", "fmt", "kind", "limit"), PUBLIC_FILES)
def test_first_300_lines_parse(relative: str, fmt: str, kind: str, limit: int) -> None:
    path = shared_file(relative)
    first_row = next(row for _, row in read_rows(path) if not isinstance(row, ImportIssue))
    assert detect_format(first_row).name == fmt
    parsed = []
    for number, item in parse_file(path):
        if number > 300:
            break
        parsed.append(item)
    issues = [str(i) for i in parsed if isinstance(i, ImportIssue)]
    assert len(issues) <= len(parsed) // 100, issues[:5]
    records = [r for r in parsed if not isinstance(r, ImportIssue)]
    assert records
    assert {type(r).__name__ for r in records} == {"QAPair" if kind == "qa" else "FaqArticle"}
    assert len({r.id for r in records}) == len(records)


@pytest.mark.usefixtures("embedder")
@pytest.mark.parametrize(("relative", "fmt", "kind", "limit"), PUBLIC_FILES)
def test_ingest_with_limit(
    relative: str, fmt: str, kind: Kind, limit: int, run_cli: RunCli
) -> None:
    path = shared_file(relative)
    result = run_cli("ingest", str(path), "--limit", str(limit), "-q")
    assert result.code == 0, result.err
    match = SUMMARY.search(result.out)
    assert match, result.out
    qa, faq, skipped = map(int, match.groups())
    imported = qa if kind == "qa" else faq
    assert (qa if kind == "faq" else faq) == 0
    assert 0 < imported <= limit
    assert skipped <= max(1, limit // 100)
    store = Services(load_settings()).store()
    if kind == "qa":
        assert store.count("qa") == imported
    else:
        parents = {i.metadata["parent_id"] for i in store.get("faq")}
        assert len(parents) == imported
        assert store.count("faq") >= imported
    retriever = Services(load_settings()).retriever()
    assert len(retriever.search("what are the symptoms and treatment", kind=kind, k=3)) == 3


@pytest.mark.usefixtures("embedder")
def test_eval_retrieval_on_curai_pairs(run_cli: RunCli) -> None:
    path = shared_file("curai_mqp/mqp_pairs_dev.jsonl")
    result = run_cli("eval-retrieval", str(path), "--limit", "60", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["n_queries"] == 60
    assert report["skipped_lines"] == []
    dense, hybrid = report["dense"]["recall@1"], report["hybrid"]["recall@1"]
    assert dense > 0.7
    assert hybrid >= dense - 0.05
    assert report["hybrid"]["pos_above_neg"] >= report["bm25"]["pos_above_neg"] - 0.05
