"""`drafter eval`: the measures (exact values), loading question sets, and whole runs against a
stub OpenAI-compatible server over the sample knowledge base."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drafter.core.errors import InputError
from drafter.core.settings import load_settings
from drafter.drafting.parts import parse_prompt_spec
from drafter.evaluation import measures
from drafter.evaluation.scoring import verdict_measures
from drafter.evaluation.sets import load_eval_set
from knowledge.importers import ImportIssue
from tests.conftest import SHARED_DATA, RunCli, SampleKb, WriteJsonl

DATA = Path(__file__).parents[1] / "data"
SMALL = DATA / "eval_small.jsonl"
RED_FLAGS = Path(__file__).resolve().parents[2] / "knowledge" / "eval" / "red_flags.jsonl"


# --- measures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("the", 1),
        ("make", 1),
        ("table", 2),
        ("people", 2),
        ("hoped", 1),
        ("wanted", 2),
        ("agreed", 2),
        ("makes", 1),
        ("boxes", 2),
        ("places", 2),
        ("knee", 1),
        ("readability", 5),
        ("x", 1),
        ("", 0),
    ],
)
def test_count_syllables(word: str, syllables: int) -> None:
    assert measures.count_syllables(word) == syllables


def test_sentences_and_words_ignore_markup_and_citations() -> None:
    text = "## Causes\nThe cat sat on the mat [1]. It was happy!\n- Dogs bark loudly [2, 3]."
    assert measures.split_sentences(text) == ["The cat sat on the mat.", "It was happy!",
                                              "Dogs bark loudly."]  # fmt: skip
    assert measures.split_sentences(text, min_words=4) == ["The cat sat on the mat."]
    assert len(measures.words(text)) == 12


def test_flesch_kincaid_grade() -> None:
    # 12 words, 3 sentences, 14 syllables: 0.39 * 4 + 11.8 * 14 / 12 - 15.59 = -0.263
    text = "The cat sat on the mat. It was happy! Dogs bark loudly."
    assert measures.flesch_kincaid_grade(text) == -0.26
    # 6 words, 1 sentence, 18 syllables by the heuristic (in-flam-ma-tion 4, u-su-al-ly 3,
    # im-proves 2, af-ter 2, ap-pro-priate 3, me-di-ca-tion 4): 2.34 + 35.4 - 15.59
    text = "Inflammation usually improves after appropriate medication."
    assert measures.flesch_kincaid_grade(text) == 22.15
    assert measures.flesch_kincaid_grade("## Only a heading") is None


def test_rouge_l() -> None:
    assert measures.lcs_length(["a", "b", "c", "d"], ["a", "c", "d", "e"]) == 3
    # LCS "the cat on the mat" = 5 of 6 tokens either side
    assert measures.rouge_l("the cat sat on the mat", "The cat is on the mat [1].") == 0.8333
    assert measures.rouge_l("alpha beta", "gamma delta") == 0.0
    assert measures.rouge_l("", "anything") is None


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("You don't need an X-ray.", True),
        ("Do not take it with alcohol.", True),
        ("It cannot spread.", True),
        ("Take it without food.", True),
        ("Take it with food.", False),
        ("Notably, nothingness is rare.", False),
    ],
)
def test_negation(sentence: str, negated: bool) -> None:
    assert measures.has_negation(sentence) is negated


def unit(*rows: list[float]) -> np.ndarray:
    matrix = np.array(rows, dtype=np.float64)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_groundedness_is_the_share_of_sentences_near_a_source() -> None:
    sentences = unit([1, 0, 0], [0.6, 0.8, 0], [0, 0, 1])
    sources = unit([1, 0, 0], [0, 1, 0])
    scores, index = measures.best_matches(sentences, sources)
    assert scores.round(4).tolist() == [1.0, 0.8, 0.0]
    assert index.tolist() == [0, 1, 0]
    assert measures.share_supported(sentences, sources, threshold=0.8) == 0.6667
    assert measures.share_supported(sentences, sources, threshold=0.81) == 0.3333
    assert measures.share_supported(sentences, unit([0, 0, 1])[:0]) == 0.0
    assert measures.share_supported(sentences[:0], sources) is None


def test_the_drafts_own_sentence_verdicts_are_counted() -> None:
    rows: list[dict[str, Any]] = [
        {"verdict": "general", "cited": []},
        {"verdict": "supported", "cited": [1]},
        {"verdict": "wrong_citation", "cited": [2]},
        {"verdict": "supported", "cited": []},
        {"verdict": "about_the_patient", "cited": []},
        {"verdict": "wrong_voice", "cited": [1]},
    ]
    found = verdict_measures(rows)
    assert found["supported"] == 0.4  # 2 of the 5 claims; "general" is not a claim
    assert found["cited_supported"] == 0.3333  # [1] backs its sentence; [2] and the last do not
    assert (found["cited_sentences"], found["about_the_patient"], found["wrong_voice"]) == (3, 1, 1)
    assert verdict_measures([])["supported"] is None


def test_centroid_cosine() -> None:
    assert measures.centroid_cosine(unit([1, 0], [0, 1]), unit([1, 1])) == 1.0
    assert measures.centroid_cosine(unit([1, 0]), unit([0, 1])) == 0.0
    assert measures.centroid_cosine(unit([1, 0])[:0], unit([0, 1])) is None


def test_statements_covered_contradicted_and_missed() -> None:
    statements = ["Take it with food.", "Do not take it at night.", "It cures colds.", "Rest."]
    sentences = ["Take it with a meal.", "Take it at night."]
    matches = measures.match_statements(
        statements,
        unit([1, 0, 0], [0, 1, 0], [0, 0, 1], [0.7, 0.7, 0.1]),
        [True, True, True, False],
        sentences,
        unit([1, 0.1, 0], [0, 1, 0.1]),
        threshold=0.9,
    )
    assert [(m.covered, m.contradicted) for m in matches] == [
        (True, False),  # closest sentence 0.995, same polarity
        (False, True),  # 0.995 but only the statement is negated
        (False, False),  # nothing close
        (False, False),  # 0.7 < 0.9
    ]
    assert matches[1].sentence == "Take it at night."
    assert measures.comprehensiveness(matches) == 0.3333  # 1 of 3 must-have
    assert measures.contradictions(matches) == 1
    assert measures.comprehensiveness(matches[3:]) is None  # no must-have statement


def test_citation_score_counts_each_number_against_its_part() -> None:
    score = measures.citation_score(
        [("reply", "Rest [1]. Ice [2, 4].", 3), ("explainer", "## Causes\nOveruse [5].", 5)]
    )
    assert (score.cited, score.valid, score.validity) == (4, 3, 0.75)
    assert score.issues == ["reply: [4] names no source (there are 3)"]
    assert measures.citation_score([("reply", "No citations at all.", 0)]).validity is None


def test_red_flag_score() -> None:
    score = measures.red_flag_score(
        [
            (["stroke"], ["stroke"]),
            (["overdose", "suicidal_thoughts"], ["suicidal_thoughts"]),
            ([], ["chest_pain"]),
            ([], []),
            (None, ["stroke"]),  # unlabelled: not counted
        ]
    )
    assert (score.labelled, score.expected, score.found) == (4, 3, 2)
    assert (score.recall, score.false_alarm_rate) == (0.6667, 0.5)


def test_quantile_mean_and_calibration() -> None:
    assert measures.quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert measures.quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
    assert measures.quantile([], 0.5) is None
    assert measures.mean([1, None, 2]) == 1.5
    best = measures.youden_threshold([0.9, 0.8, 0.7, 0.4], [0.75, 0.3, 0.2, 0.1])
    assert (best.threshold, best.tpr, best.fpr) == (0.4, 1.0, 0.25)
    tie = measures.youden_threshold([0.9, 0.5], [0.6, 0.1])  # J 0.5 at 0.9 and at 0.5
    assert (tie.threshold, tie.tpr, tie.fpr) == (0.9, 0.5, 0.0)
    with pytest.raises(ValueError, match="need positive"):
        measures.youden_threshold([], [0.1])


def test_groundedness_sources_are_what_a_source_states() -> None:
    from drafter.core.records import Hit, SearchResult
    from drafter.drafting.sources import build_sources
    from drafter.evaluation.scoring import source_facts

    qa = Hit("q1", "qa", "Knee", 1.0, {}, "", "My knee hurts.", {"answer": "Rest it. Ice helps."})
    faq = Hit("f1", "faq", "Knee pain", 0.9, {}, "", "Knee pain is common.")
    sources = [s.to_json() for s in build_sources(SearchResult("q", [qa], [faq]), qa=3, faq=2,
                                                   chars=600)]  # fmt: skip
    assert [source_facts(s) for s in sources] == [" Rest it. Ice helps.", "Knee pain is common."]


# --- question sets ------------------------------------------------------------------------------


def test_every_format_loads_and_a_broken_line_is_reported(
    tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"id": "k1", "question": "Lexapro?", "answer": "An SSRI.", "must_have": ["SSRI"],
             "nice_to_have": ["Brand Cipralex"]},
            {"id": "TQ1", "subject": "Noonan", "message": "Kidneys?",
             "reference_answers": [{"answer": "Rarely."}, {"answer": "10% have renal anomalies."}]},
            '{"question": "cut short',
            {"question": "Aspirin and ibuprofen?", "answer": "Ask a pharmacist."},
            {"id": "ours", "question": "Chest pain", "reference": "Go now.",
             "red_flags": ["chest_pain"], "age_group": "61", "sex": "M"},
            {"id": "bad-flag", "question": "?", "red_flags": ["not_a_rule"]},
            {"id": "k1", "question": "Again", "answer": "Duplicate id."},
            {"question": "No reference at all"},
        ],
    )  # fmt: skip
    evalset = load_eval_set(path)
    assert [i.id for i in evalset.items] == ["k1", "TQ1", "mixed-4", "ours"]
    kqa, liveqa, medication, ours = evalset.items
    assert kqa.references == ("An SSRI.",)
    assert kqa.must_have == ("SSRI",)
    assert kqa.nice_to_have == ("Brand Cipralex",)
    assert kqa.red_flags is None
    assert liveqa.question == "Noonan\nKidneys?"
    assert liveqa.references == ("Rarely.", "10% have renal anomalies.")
    assert medication.references == ("Ask a pharmacist.",)
    assert (ours.red_flags, ours.age_group, ours.sex) == (("chest_pain",), "60-69", "male")
    assert [(i.line, i.message.split(" (")[0].split(";")[0]) for i in evalset.issues] == [
        (3, "not valid JSON"),
        (6, "unknown red-flag rule(s) not_a_rule"),
        (7, "duplicate id 'k1'"),
        (8, "no reference: need answer, reference(s), reference_answers or red_flags"),
    ]
    assert all(isinstance(i, ImportIssue) and i.path == path for i in evalset.issues)
    assert [i.id for i in load_eval_set(path, limit=2).items] == ["k1", "TQ1"]


def test_a_set_with_no_usable_question_is_an_input_error(
    tmp_path: Path, write_jsonl: WriteJsonl
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", ["{nope", {"question": ""}])
    with pytest.raises(InputError, match=r"no usable questions \(first problem: .*:1: not valid"):
        load_eval_set(path)


def test_the_labelled_red_flag_set_names_known_categories_and_has_negatives() -> None:
    from drafter.triage.categories import categories

    evalset = load_eval_set(RED_FLAGS)
    assert not evalset.issues
    expected = {rule for item in evalset.items for rule in item.red_flags or ()}
    assert expected <= set(categories())
    assert len(expected) >= 12  # the twelve categories it was written for
    assert sum(item.red_flags == () for item in evalset.items) >= 10


@pytest.mark.parametrize(
    ("spec", "versions"),
    [
        (None, {}),
        ("v1", {"title": 1, "reply": 1, "explainer": 1}),
        ("v2", {"title": 2, "reply": 2, "explainer": 2}),
        ("reply=1, explainer=v2", {"reply": 1, "explainer": 2}),
        (["reply=1", "v2"], {"title": 2, "reply": 1, "explainer": 2}),  # PART=N wins
    ],
)
def test_prompt_spec(spec: str | list[str] | None, versions: dict[str, int]) -> None:
    assert parse_prompt_spec(spec) == versions


@pytest.mark.parametrize("spec", ["v0", "summary=1", "reply=one", "reply"])
def test_bad_prompt_spec(spec: str) -> None:
    with pytest.raises(InputError, match="--prompt"):
        parse_prompt_spec(spec)


# --- whole runs against the stub model server ---------------------------------------------------


def versioned_responder(body: dict[str, Any]) -> str:
    """The app tests' stub, except that short reply v2 repeats the first sentence of source [1]
    (cut where the prompt cuts it) and cites a source that does not exist."""
    from tests.support.fakes import page_responder

    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    if not system.startswith("Draft the reply of a doctor"):
        return page_responder(body)
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    source = re.search(r"^\[1\] (.*)$", user, re.M)
    sentences = re.split(r"(?<=[.!?])\s+", source.group(1) if source else "")
    copied = next((x.rstrip(".…") for x in sentences if len(x.split()) >= 6), "")
    copied = copied[:1].upper() + copied[1:]
    return (
        f"Hello, thank you for writing. {copied} [1]. An examination will tell us more [9]. "
        "Please come in if it gets worse."
    )


@pytest.fixture
def stub_env(sample_kb: SampleKb, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """DRAFTER_* pointing at the sample knowledge base (read only) and a stub model server."""
    from tests.support.fakes import OpenAIStub, serve_openai

    stub = OpenAIStub(responder=versioned_responder)
    server, url = serve_openai(stub)
    env = {
        "DRAFTER_DATA_DIR": str(sample_kb.settings.data_dir),
        "DRAFTER_LLM_BACKEND": "openai",
        "DRAFTER_OPENAI_BASE_URL": url,
        "DRAFTER_OPENAI_API_KEY": "sk-test",
        "DRAFTER_OPENAI_MODEL": "stub-model",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


def test_eval_writes_the_report_with_exact_figures(
    stub_env: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "v1"
    result = run_cli("eval", "--set", str(SMALL), "--prompt", "v1", "--out", str(out), "-q")
    assert result.code == 0, result.err
    assert "4 drafted now, 0 resumed; openai:stub-model, 8 at a time" in result.out
    report = json.loads((out / "report.json").read_text())
    assert set(report) == {"run", "thresholds", "aggregate", "items"}
    assert report["run"]["prompts"]["reply"].startswith("short_reply@v1#")
    assert report["run"]["set_format"] == "drafter"
    assert report["thresholds"]["support"] == measures.SUPPORT_THRESHOLD
    items = {i["id"]: i for i in report["items"]}
    assert list(items) == ["knee", "chest", "stroke-missed", "reflux"]
    knee = items["knee"]
    assert knee["status"] == "complete"
    assert knee["words_reply"] == 44  # 6 + 15 + 9 + 14
    assert knee["citations"]["validity"] == 1.0
    assert not knee["citations"]["issues"]
    verdicts = [(s["covered"], s["contradicted"]) for s in knee["statements"]]
    assert verdicts == [(True, False), (False, True), (False, False), (True, False)]
    assert (knee["comprehensiveness"], knee["contradictions"]) == (0.3333, 1)
    assert knee["groundedness"] == 0.0  # the stub's stock sentences are in no source
    assert 0 < knee["reference_similarity"] < 1
    assert items["chest"]["red_flags"] == {"expected": ["chest_pain"], "found": ["chest_pain"]}
    assert items["chest"]["reply"].startswith("Please go to the emergency department")
    # the old regular expressions missed this one; triage's lexicon now finds it
    assert items["stroke-missed"]["red_flags"]["found"][0] == "stroke"
    assert items["reflux"]["comprehensiveness"] is None
    assert len(items["reflux"]["references"]) == 2
    agg = report["aggregate"]
    assert (agg["items"], agg["complete"], agg["errors"]) == (4, 4, 0)
    assert agg["citation_validity"] == 1.0
    assert (agg["red_flag_labelled"], agg["red_flag_recall"], agg["red_flag_false_alarm_rate"]) == (
        3, 1.0, 0.0
    )  # fmt: skip
    assert (agg["kqa_items"], agg["comprehensiveness"], agg["hallucination"]) == (1, 0.3333, 1.0)
    assert agg["latency_p50"] > 0
    assert agg["latency_p95"] >= agg["latency_p50"]
    assert agg["seconds_total"] == pytest.approx(sum(i["seconds"] for i in items.values()), abs=0.1)
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 4
    assert "<script" not in html
    assert "http://" not in html.replace('"http://www.w3.org/2000/svg"', "")
    assert len(re.findall(r"<tr id='item-", html)) == 4
    assert "My husband&#x27;s words came out jumbled" in html
    assert "crude approximation" in html


def test_two_runs_side_by_side(
    stub_env: Any, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    assert run_cli("eval", "--set", str(SMALL), "--prompt", "v1", "--out", str(v1), "-q").code == 0
    requests = len(stub_env.requests)
    again = run_cli("eval", "--set", str(SMALL), "--prompt", "v1", "--out", str(v1), "-q")
    assert "0 drafted now, 4 resumed" in again.out
    assert len(stub_env.requests) == requests  # nothing drafted twice
    monkeypatch.setenv("DRAFTER_REPLY_SOURCES", "2")  # other drafts: not resumed into this run
    changed = run_cli("eval", "--set", str(SMALL), "--prompt", "v1", "--out", str(v1), "-q")
    assert changed.code == 2
    assert "drafts of another run" in changed.err
    monkeypatch.delenv("DRAFTER_REPLY_SOURCES")
    result = run_cli(
        "eval", "--set", str(SMALL), "--prompt", "v2", "--out", str(v2), "--compare", str(v1),
        "--limit", "2", "-q",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads((v2 / "report.json").read_text())
    assert report["comparison"]["runs"] == ["v2", "v1"]
    # v2's short reply cites [9], past the sources the reply sees (the first `reply_sources` of
    # those retrieved): per item 1 of 2 reply citations is invalid
    v2_items = {i["id"]: i for i in report["items"]}
    seen = min(load_settings().reply_sources, len(v2_items["knee"]["sources"]))
    assert seen < 9
    assert v2_items["knee"]["citations"]["issues"] == [
        f"reply: [9] names no source (there are {seen})"
    ]
    assert v2_items["knee"]["groundedness_reply"] > 0  # it repeats a sentence of source [1]
    validity = report["comparison"]["aggregate"]["citation_validity"]
    assert validity[0] < 1.0 == validity[1]
    assert report["comparison"]["delta"]["citation_validity"] == round(validity[1] - validity[0], 4)
    html = (v2 / "report.html").read_text()
    assert "Drafter evaluation: v2 vs v1" in html
    assert len(re.findall(r"<tr id='item-", html)) == 4  # the union of both runs' items
    assert "(not in this run)" in html
    both = tmp_path / "both"
    result = run_cli("eval", "--report", str(v1), str(v2), "--out", str(both))
    assert result.code == 0, result.err
    assert json.loads((both / "report.json").read_text())["comparison"]["runs"] == ["v1", "v2"]
    assert "citation_validity" in result.out


def test_eval_errors_are_one_line(stub_env: Any, run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("eval", "--out", str(tmp_path / "x"))
    assert result.code == 2
    assert "give --set FILE" in result.err
    result = run_cli("eval", "--set", str(SMALL), "--out", str(tmp_path), "--compare", "nowhere")
    assert result.code == 2
    assert "not a drafter eval report" in result.err
    result = run_cli("eval", "--set", str(SMALL), "--out", str(tmp_path), "--prompt", "v9x")
    assert result.code == 2
    assert "--prompt" in result.err


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED_DATA / "kqa").is_dir(), reason=f"{SHARED_DATA}/kqa is absent")
def test_eval_on_kqa(stub_env: Any, run_cli: RunCli, tmp_path: Path) -> None:
    kqa = SHARED_DATA / "kqa" / "kqa_dev.jsonl"
    result = run_cli("eval", "--set", str(kqa), "--limit", "3", "--out", str(tmp_path), "-q")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["set_format"] == "kqa"
    assert report["aggregate"]["kqa_items"] == 3
    assert 0 <= report["aggregate"]["comprehensiveness"] <= 1
    assert all(len(i["statements"]) >= 1 for i in report["items"])
