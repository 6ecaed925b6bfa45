"""The triage stage: context judged by NegEx, findings merged across layers, layers only add,
stored findings read back, and the triage commands' output and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from drafter.triage import context
from drafter.triage.categories import categories, urgency_rank
from drafter.triage.findings import Finding, Triage, merge, union
from drafter.triage.semantic import MODEL_PATH, SemanticModel
from drafter.triage.stage import Triager, detect_red_flags, lexicon_findings
from drafter.triage.train import train
from knowledge.embeddings import local_embedder
from tests.conftest import RunCli, WriteJsonl


@pytest.mark.parametrize(
    ("text", "words", "modifiers"),
    [
        ("My grandfather died of a stroke.", "stroke", {"family"}),
        ("I had chest pain two years ago.", "chest pain", {"historical"}),
        ("No fever at all.", "fever", {"negated"}),
        ("What are the signs of a stroke?", "stroke", {"hypothetical"}),
        ("I'm writing an essay on suicide prevention.", "suicide", {"hypothetical"}),
        ("My mum suddenly can't get her words out.", "can't get her words out", set()),
        ("My 6 week old baby has a fever of 38.5", "fever", set()),
        ("I can't feel the toilet paper when I wipe", "can't feel the toilet paper", set()),
        ("I don't have chest pain but my arm is numb and weak", "arm is numb and weak", set()),
        ("I had a stroke 5 years ago and now my face is drooping", "face is drooping", set()),
        ("Had a stroke in 2012, now I sleep badly", "stroke", {"historical"}),
        ("In 2019 I had chest pain and an angiogram", "chest pain", {"historical"}),
        ("My nursing assignment on the sepsis bundle", "sepsis", {"hypothetical"}),
        ("Does she need the meningitis vaccine again?", "meningitis", {"hypothetical"}),
        ("The leaflet says it can cause suicidal thoughts.", "suicidal", {"hypothetical"}),
        ("Is viral meningitis the same as the bacterial kind?", "meningitis", {"hypothetical"}),
        ("If she got a fever on the plane, what would we do?", "fever", {"hypothetical"}),
    ],
)
def test_context_is_judged_per_clause(text: str, words: str, modifiers: set[str]) -> None:
    start = text.index(words)
    assert context.judge(text, [(start, start + len(words))]) == [modifiers]


def test_a_relative_having_symptoms_now_is_a_finding_but_their_history_is_not() -> None:
    now = detect_red_flags("My mum suddenly can't get her words out and her face has dropped.")
    assert [f.category for f in now] == ["stroke"]
    assert detect_red_flags("My grandfather died of a stroke; I want to lower my risk.") == []


def test_spans_point_at_the_patients_own_words() -> None:
    text = "Hi. For 20 minutes I've had crushing chest pain and I'm sweating. Also a rash."
    (finding,) = detect_red_flags(text)
    assert finding.category == "chest_pain"
    start, end = finding.spans[0]
    assert "chest" in text[start:end].lower()
    assert finding.matched == text[start:end].strip()
    assert finding.layer == "lexicon"
    assert 0 < finding.confidence <= 1


def test_curly_apostrophes_read_like_straight_ones() -> None:
    straight = detect_red_flags("I can't breathe and my lips are blue")
    curly = detect_red_flags("I can\u2019t breathe and my lips are blue")
    assert [f.category for f in curly] == [f.category for f in straight] == ["breathing"]


def test_union_joins_overlapping_spans() -> None:
    assert union([(5, 9), (0, 3), (2, 4), (9, 12)]) == ((0, 4), (5, 12))


def _finding(category: str, layer: str, spans: tuple[tuple[int, int], ...], conf: float) -> Finding:
    cat = categories()[category]
    return Finding(cat.id, cat.label, cat.urgency, cat.advice, spans, "w", conf, layer)


def test_merge_keeps_one_finding_per_category_most_urgent_first() -> None:
    merged = merge(
        [
            _finding("limb_weakness", "lexicon", ((30, 40),), 0.9),
            _finding("chest_pain", "semantic", ((0, 50),), 0.7),
            _finding("chest_pain", "lexicon", ((10, 20),), 0.9),
        ],
        list(categories()),
    )
    assert [f.category for f in merged] == ["chest_pain", "limb_weakness"]
    chest = merged[0]
    assert chest.layer == "semantic+lexicon"
    assert chest.spans == ((10, 20),)  # the lexicon's words, not the whole sentence
    assert chest.confidence == 0.9
    assert urgency_rank(merged[0].urgency) <= urgency_rank(merged[1].urgency)


def test_a_layer_can_add_a_finding_but_never_remove_one() -> None:
    text = "I have crushing chest pain."
    silent = Triager({"lexicon": lexicon_findings, "other": lambda _t: []})(text)
    extra = _finding("sepsis", "llm", ((0, 5),), 0.6)
    louder = Triager({"lexicon": lexicon_findings, "llm": lambda _t: [extra]})(text)
    assert silent.categories == ["chest_pain"]
    assert set(louder.categories) == {"chest_pain", "sepsis"}
    assert set(silent.timings) == {"lexicon", "other"}


def test_a_finding_stored_before_triage_had_urgencies_reads_back() -> None:
    old = {"rule_id": "chest_pain", "label": "Chest pain", "matched": "chest pain"}
    finding = Finding.from_json(old)
    assert (finding.category, finding.urgency, finding.spans) == ("chest_pain", "emergency", ())
    assert finding.advice == categories()["chest_pain"].advice
    again = Finding.from_json(finding.to_json())
    assert again == finding


def test_triage_urgency_is_routine_without_findings() -> None:
    assert Triage(()).urgency == "routine"


def test_triage_command_prints_findings_and_json_spans(run_cli: RunCli) -> None:
    text = "My 14 year old has been cutting her arms and says she wants to die"
    shown = run_cli("triage", text)
    assert shown.code == 0, shown.err
    assert "EMERGENCY" in shown.out
    data = run_cli("triage", "--json", text).json()
    (first, *_) = data["findings"]
    start, end = first["spans"][0]
    assert text[start:end] == first["matched"]
    assert run_cli("triage", "--json", "My knee clicks on the stairs").json() == {"findings": []}


def test_triage_file_gives_one_line_per_question_and_reports_a_broken_line(
    run_cli: RunCli, write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "a", "question": "Crushing chest pain going to my jaw", "other": 1},
            "{not json",
            {"question": "My knee clicks on the stairs"},
        ],
    )
    result = run_cli("triage", "--file", str(path), "--json")
    assert result.code == 0
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["id"] for line in lines] == ["a", 3]
    assert lines[0]["findings"][0]["category"] == "chest_pain"
    assert lines[1]["findings"] == []
    assert ":2:" in result.err


@pytest.mark.parametrize(("args", "message"), [(("",), "empty"), ((), "give the question")])
def test_triage_refuses_an_empty_question(
    run_cli: RunCli, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("triage", *args)
    assert result.code != 0
    assert message in result.err
    assert "Traceback" not in result.err


def test_eval_triage_reports_recall_false_alarms_and_the_missed_cases(
    run_cli: RunCli, write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "set.jsonl",
        [
            {
                "id": "p1",
                "question": "Crushing chest pain and sweating",
                "red_flags": ["chest_pain"],
            },
            {"id": "p2", "question": "I feel a bit off today", "red_flags": ["sepsis"]},
            {"id": "n1", "question": "No chest pain, only heartburn after pizza", "red_flags": []},
            "{broken",
        ],
    )
    report = run_cli("eval-triage", str(path), "--json", "--layers", "lexicon").json()
    assert report["per_category"]["chest_pain"] == {"expected": 1, "found": 1, "recall": 1.0}
    assert report["any_flag_recall"] == 0.5
    assert report["false_alarm_rate"] == 0.0
    assert [case["id"] for case in report["missed"]] == ["p2"]
    assert len(report["skipped_lines"]) == 1
    assert ":4:" in report["skipped_lines"][0]
    assert report["latency_ms"]["p95"] is not None


def test_the_shipped_classifier_knows_every_category_and_is_small() -> None:
    model = SemanticModel.load()
    assert model is not None
    assert model.categories == tuple(categories())
    assert model.embedder == "local:all-MiniLM-L6-v2"
    assert MODEL_PATH.stat().st_size < 64 * 1024
    assert ((model.thresholds > 0) & (model.thresholds < 1)).all()


def test_retraining_reproduces_the_shipped_classifier() -> None:
    """`python -m drafter.triage.train` on the repo's splits gives the weights that are shipped
    (it trains on MiniLM run by PyTorch, as this does)."""
    shipped = SemanticModel.load()
    assert shipped is not None
    embedder = local_embedder(runtime="torch")
    again = train(embedder.embed, embedder.name)
    # shipped as float16 (resolution ~1e-3 relative): another CPU's float kernels may round a
    # weight to the neighbouring float16 value; the thresholds (the decisions) must be the same
    assert np.allclose(again.weights, shipped.weights, atol=2e-3, rtol=2e-3)
    assert np.allclose(again.thresholds, shipped.thresholds)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Is sepsis contagious? My son's friend is in hospital.", []),
        ("My mum had a pulmonary embolism at 50. Can I take HRT?", []),
        ("What does meningitis usually look like in teenagers?", []),
        ("I think I'm having a stroke, my arm feels odd", ["stroke"]),
        ("Could this be meningitis? She is so sleepy", ["meningitis"]),
        ("I keep thinking about suicide.", ["suicidal_thoughts"]),
        ("Speech normal, face normal, I walked to the shop fine.", []),
    ],
)
def test_a_condition_merely_named_is_not_a_finding_but_one_happening_now_is(
    text: str, found: list[str]
) -> None:
    assert [f.category for f in lexicon_findings(text)] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # a teenager's handful of pills is self-harm as well as an overdose; a toddler's is not
        ("took loads of paracetamol at school. im 15", {"overdose", "self_harm_minor"}),
        ("My 2 year old took a handful of tablets from my bag", {"overdose", "child_poisoning"}),
        ("took like 15 ibuprofen and half a bottle of vodka last nite", {"overdose"}),
        ("17 and i dont want to live anymore", {"suicidal_thoughts", "self_harm_minor"}),
        # an adult's suicidal words reported by a friend are a flag; a hypothetical colleague not
        ("my friend says she wants to kill herself", {"suicidal_thoughts"}),
        ("How should you respond if a colleague tells you they are thinking about suicide?", set()),
        # words that only look like the flag
        ("I have hay fever every spring and feel confused about which spray to use", set()),
        ("No vomit, no blood, just a burning tummy when I'm hungry", set()),
        ("I vomited blood this morning", {"heavy_bleeding"}),
        ("I sneezed and there's a bright red patch in the white of my eye", set()),
        ("a dark patch in my left eye's vision since this morning", {"vision_loss"}),
        ("I don't want to go on a strict diet, just small changes", set()),
        ("I don't want to go on like this", {"suicidal_thoughts"}),
        ("Baby is 4 months. I eat normally, I take the vitamins from pregnancy still", set()),
    ],
)  # fmt: skip
def test_lexicon_reads_who_did_what(text: str, found: set[str]) -> None:
    assert {f.category for f in lexicon_findings(text)} == found
