"""`drafter check`: the evidence check of a reply someone wrote, from the command line."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import assert_one_line_error
from tests.conftest import RunCli, SampleKb

STATIN = "Since starting atorvastatin two months ago my thighs ache. Should I stop the statin?"


@pytest.fixture
def on_sample(monkeypatch: pytest.MonkeyPatch, sample_kb: SampleKb) -> SampleKb:
    monkeypatch.setenv("DRAFTER_DATA_DIR", str(sample_kb.settings.data_dir))
    return sample_kb


def test_check_json_gives_each_sentence_its_verdict(on_sample: SampleKb, run_cli: RunCli) -> None:
    reply = (
        "I'm 52 and have had diabetes for years. "
        "You had a kidney transplant in 2015. "
        "See your doctor if it gets worse."
    )
    result = run_cli("check", STATIN, "--age", "50-59", "--reply", reply, "--json")
    assert result.code == 0, result.err
    sentences = result.json()["sentences"]
    assert [s["verdict"] for s in sentences] == ["wrong_voice", "about_the_patient", "general"]
    assert {"part", "text", "verdict", "evidence", "note"} <= set(sentences[0])


def test_check_prints_the_marks_and_a_count(on_sample: SampleKb, run_cli: RunCli) -> None:
    result = run_cli("check", STATIN, "--reply", "You had a kidney transplant in 2015.")
    assert result.code == 0, result.err
    assert "!! about the patient" in result.out
    assert "1 sentences, 1 to check" in result.out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("check", "--reply", "Rest."), "give the patient's QUESTION"),
        (("check", STATIN), "nothing to check"),
    ],
)
def test_check_without_what_it_needs_says_so(
    on_sample: SampleKb, run_cli: RunCli, args: tuple[str, ...], says: str
) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert_one_line_error(result.err, says)
