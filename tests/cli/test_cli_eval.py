"""`drafter eval-retrieval` in-process on a small Curai-style pairs file written per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunCli, WriteJsonl


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("drafter: error: "), err
    assert err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


PAIRS = [
    ("How long after antibiotics can I drink alcohol?",
     "I finished my course of amoxicillin this morning. When is it safe to have a beer?",
     "Which antibiotics are safe to take during pregnancy?"),
    ("Why does my knee hurt when I climb stairs?",
     "Going up stairs makes the front of my knee ache. What causes that?",
     "How long does recovery from a knee replacement take?"),
    ("Is it normal to have a headache every morning when I wake up?",
     "I wake up with a headache nearly every day. Should I be worried?",
     "Can I take ibuprofen and paracetamol together for a migraine?"),
    ("What can I do about heartburn at night?",
     "Acid reflux keeps waking me up at night, how can I stop it?",
     "Is heartburn a sign of a heart attack in women?"),
    ("My child has a fever of 39, when should I go to hospital?",
     "At what temperature should I take my feverish toddler to the emergency room?",
     "Which vaccines does my toddler need at 18 months?"),
    ("How do I get rid of dandruff?",
     "What is the best treatment for a flaky, itchy scalp?",
     "Can stress cause hair loss?"),
    ("Can I exercise with high blood pressure?",
     "Is it safe to go running if I have hypertension?",
     "What foods lower high blood pressure?"),
    ("Why am I always tired even after sleeping eight hours?",
     "I sleep a full night but still feel exhausted all day. Why?",
     "How many hours of sleep does a teenager need?"),
    ("Should I worry about a mole that changed colour?",
     "One of my moles has become darker recently. Is that a sign of skin cancer?",
     "How do I remove a skin tag at home?"),
    ("How can I stop snoring?",
     "What helps to reduce loud snoring at night?",
     "Is sleep apnea dangerous for the heart?"),
]  # fmt: skip


@pytest.fixture
def pairs_file(tmp_path: Path, write_jsonl: WriteJsonl) -> Path:
    rows = []
    for group, (question, same, different) in enumerate(PAIRS, start=1):
        rows.append({"question_1": question, "question_2": same, "label": "1", "group_id": group})
        rows.append({"question_1": question, "question_2": different, "label": 0,
                     "group_id": str(group)})  # fmt: skip
    return write_jsonl(tmp_path / "pairs.jsonl", rows)


@pytest.mark.usefixtures("embedder")
def test_eval_retrieval_json(pairs_file: Path, run_cli: RunCli) -> None:
    result = run_cli("eval-retrieval", str(pairs_file), "--json")
    assert result.code == 0
    report = result.json()
    assert {"bm25", "dense", "hybrid", "n_queries"} <= set(report)
    assert report["n_queries"] == len(PAIRS)
    assert report["n_documents"] == 2 * len(PAIRS)
    assert report["skipped_lines"] == []
    for mode in ("bm25", "dense", "hybrid"):
        metrics = report[mode]
        assert set(metrics) == {"recall@1", "recall@5", "mrr", "pos_above_neg"}
        assert all(0.0 <= v <= 1.0 for v in metrics.values()), metrics
        assert metrics["recall@1"] <= metrics["mrr"] <= metrics["recall@5"]
    assert report["dense"]["recall@1"] >= 0.9
    assert report["hybrid"]["recall@1"] >= 0.8
    assert report["dense"]["pos_above_neg"] >= 0.9
    assert not Path("data").exists()  # a throw-away store, not the configured one


@pytest.mark.usefixtures("embedder")
def test_eval_retrieval_table_and_limit(pairs_file: Path, run_cli: RunCli) -> None:
    result = run_cli("eval-retrieval", str(pairs_file), "--limit", "4", "-q")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["retriever", "recall@1", "recall@5", "MRR", "pos>neg"]
    assert [line.split()[0] for line in lines[1:4]] == ["bm25", "dense", "hybrid"]
    # --limit keeps the first 4 groups and only their questions (2 each) in the store
    assert lines[-1] == "4 queries over 8 stored questions"


def test_eval_retrieval_without_pairs(
    tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    path = write_jsonl(tmp_path / "nopairs.jsonl", [{"question_1": "a", "label": 1}])
    result = run_cli("eval-retrieval", str(path), "--json")
    assert result.code == 2
    assert_one_line_error(result.err, "no usable pairs")
