"""The `drafter` command in-process: output shapes, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunCli, SampleKb, WriteJsonl

HIT_KEYS = {"id", "kind", "title", "score", "ranks", "why", "specialty", "duplicates"}
RANK_KEYS = {"hybrid": {"dense", "bm25"}, "dense": {"dense"}, "bm25": {"bm25"}}


@pytest.fixture
def on_sample(monkeypatch: pytest.MonkeyPatch, sample_kb: SampleKb) -> SampleKb:
    monkeypatch.setenv("DRAFTER_DATA_DIR", str(sample_kb.settings.data_dir))
    return sample_kb


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("drafter: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_json(mode: str, on_sample: SampleKb, run_cli: RunCli) -> None:
    result = run_cli("search", "  statin muscle pain  ", "--json", "--mode", mode, "-k", "3")
    assert result.code == 0
    data = result.json()
    assert set(data) == {"query", "mode", "similar_qa", "related_faq", "seconds"}
    assert (data["query"], data["mode"]) == ("statin muscle pain", mode)
    assert len(data["similar_qa"]) == 3
    assert len(data["related_faq"]) == 5  # DRAFTER_FAQ_K default
    for kind, hits in (("qa", data["similar_qa"]), ("faq", data["related_faq"])):
        for hit in hits:
            assert set(hit) == HIT_KEYS
            assert hit["kind"] == kind
            assert isinstance(hit["score"], float)
            assert set(hit["ranks"]) == RANK_KEYS[mode]
    assert data["similar_qa"][0]["id"] in {"qa-cardio-003", "qa-cardio-004"}
    assert data["related_faq"][0]["id"] == "faq-statins"


def test_search_json_respects_settings(
    monkeypatch: pytest.MonkeyPatch, on_sample: SampleKb, run_cli: RunCli
) -> None:
    monkeypatch.setenv("DRAFTER_SIMILAR_K", "2")
    monkeypatch.setenv("DRAFTER_FAQ_K", "1")
    data = run_cli("search", "toddler fever", "--json", "--specialty", "pediatrics").json()
    assert [len(data["similar_qa"]), len(data["related_faq"])] == [2, 1]
    assert {h["specialty"] for h in data["similar_qa"] + data["related_faq"]} == {"Pediatrics"}


def test_search_table(
    monkeypatch: pytest.MonkeyPatch, on_sample: SampleKb, run_cli: RunCli
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("search", "cement leak after kyphoplasty", "-k", "2", "-m", "2")
    assert result.code == 0
    out = result.out
    assert out.index("Similar Q&A") < out.index("qa-ortho-00") < out.index("Related FAQ")
    assert out.index("Related FAQ") < out.index("faq-bone-cement")
    assert "why it matched" in out
    assert "meaning #1" in out
    assert "Orthopedics" in out
    assert out.count("│ 1 │") == 2
    assert out.count("│ 3 │") == 0
    assert result.err.strip().endswith(" ms")


def test_search_table_shows_whole_ids_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, on_sample: SampleKb, run_cli: RunCli
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    query = "cement leak after kyphoplasty, knee osteoarthritis"
    out = run_cli("search", query, "-k", "2", "-m", "2").out
    assert "faq-bone-cement" in out
    assert "faq-knee-osteoarthritis" in out


def test_stats_json(on_sample: SampleKb, run_cli: RunCli) -> None:
    result = run_cli("stats", "--json")
    assert result.code == 0
    data = result.json()
    assert data["location"] == str(on_sample.settings.chroma_dir)
    qa, faq = data["qa"], data["faq"]
    assert (qa["records"], qa["rows"]) == (84, 84)
    assert faq["records"] == 33
    assert faq["rows"] > faq["records"]
    assert qa["embedder"] == faq["embedder"] == "local:all-MiniLM-L6-v2"
    assert sum(qa["by_specialty"].values()) == 84
    assert sum(faq["by_specialty"].values()) == 33
    assert qa["by_specialty"]["Orthopedics"] == 11
    text = run_cli("stats").out
    assert "Q&As: 84 (84 rows, local:all-MiniLM-L6-v2)" in text
    assert f"FAQ articles: 33 ({faq['rows']} rows" in text


@pytest.mark.parametrize(
    "args", [["stats"], ["stats", "--json"], ["search", "knee pain"], ["search", "x", "--json"]]
)
def test_missing_store_exits_3(args: list[str], run_cli: RunCli) -> None:
    result = run_cli(*args)
    assert result.code == 3
    assert result.out == ""
    assert_one_line_error(result.err, "drafter ingest")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRAFTER_EMBEDDING_BACKEND", "bogus"),
        ("DRAFTER_SIMILAR_K", "0"),
        ("DRAFTER_SIMILAR_K", "many"),
        ("DRAFTER_FAQ_K", "51"),
        ("DRAFTER_CHROMA_URL", "ftp://x"),
        ("DRAFTER_COLLECTION_PREFIX", "bad prefix!"),
        ("DRAFTER_DUPLICATE_THRESHOLD", "1.5"),
        ("DRAFTER_REQUEST_TIMEOUT", "0"),
    ],
)
@pytest.mark.parametrize("command", [["stats"], ["search", "knee pain", "--json"]])
def test_bad_setting_exits_2_naming_the_variable(
    variable: str, value: str, command: list[str], monkeypatch: pytest.MonkeyPatch,
    run_cli: RunCli,
) -> None:  # fmt: skip
    monkeypatch.setenv(variable, value)
    result = run_cli(*command)
    assert result.code == 2
    assert result.out == ""
    assert_one_line_error(result.err, f"bad setting {variable}:", repr(value))


def test_openai_backend_without_key(
    monkeypatch: pytest.MonkeyPatch, on_sample: SampleKb, run_cli: RunCli
) -> None:
    monkeypatch.setenv("DRAFTER_EMBEDDING_BACKEND", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = run_cli("search", "knee pain")
    assert result.code == 2
    assert_one_line_error(result.err, "DRAFTER_OPENAI_API_KEY")


@pytest.mark.parametrize("question", ["", "   "])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_empty_query(question: str, mode: str, on_sample: SampleKb, run_cli: RunCli) -> None:
    result = run_cli("search", question, "--mode", mode)
    assert result.code == 2
    assert result.out == ""
    assert_one_line_error(result.err, "the question is empty")


@pytest.mark.parametrize(("flag", "value"), [("--age", "old"), ("--sex", "robot")])
def test_bad_filter_value_is_one_line_error(
    flag: str, value: str, on_sample: SampleKb, run_cli: RunCli
) -> None:
    result = run_cli("search", "knee pain", flag, value)
    assert result.code == 2
    assert_one_line_error(result.err, repr(value))


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_specialty_filters_faq_in_every_mode(
    mode: str, on_sample: SampleKb, run_cli: RunCli
) -> None:
    data = run_cli(
        "search", "statin muscle pain", "--json", "--mode", mode, "--specialty", "Orthopedics"
    ).json()
    assert {h["specialty"] for h in data["similar_qa"]} == {"Orthopedics"}
    assert {h["specialty"] for h in data["related_faq"]} == {"Orthopedics"}


ONLY_QAS = [
    {
        "id": "qa-knee",
        "title": "Knee pain",
        "question": "My knee hurts on stairs.",
        "answer": "Rest.",
    },
    {
        "id": "qa-ear",
        "title": "Earache",
        "question": "My ear aches after swimming.",
        "answer": "Dry it.",
    },
]


@pytest.mark.usefixtures("embedder")
@pytest.mark.parametrize(
    "mode",
    [
        "hybrid",
        "dense",
        "bm25",
    ],
)
def test_search_a_kb_with_only_qas(
    mode: str, tmp_path: Path, write_jsonl: WriteJsonl, run_cli: RunCli
) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", ONLY_QAS)
    assert run_cli("ingest", str(path), "-q").code == 0
    result = run_cli("search", "my knee hurts", "--json", "--mode", mode)
    assert result.code == 0
    data = result.json()
    assert data["similar_qa"][0]["id"] == "qa-knee"
    assert data["related_faq"] == []


@pytest.mark.parametrize("command", ["ingest", "search", "stats", "eval-retrieval", "ui"])
def test_subcommand_help(command: str, run_cli: RunCli) -> None:
    result = run_cli(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: drafter {command}")


def test_version_and_usage_errors(run_cli: RunCli) -> None:
    assert run_cli("--version").out.strip() == "drafter 0.1.0"
    assert run_cli().code == 2
    assert run_cli("search").code == 2
    assert run_cli("search", "x", "--mode", "fuzzy").code == 2
