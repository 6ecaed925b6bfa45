"""The semantic layer reads each sentence as context leaves it, and its thresholds are tuned for
what it adds to the lexicon."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from drafter.triage import context
from drafter.triage.categories import categories
from drafter.triage.semantic import SemanticLayer, SemanticModel
from drafter.triage.train import remembered, tune_thresholds


@pytest.mark.parametrize(
    ("sentence", "kept", "dropped"),
    [
        ("No numbness down below, just back ache.", "just back ache", "numbness"),
        ("My grandad had a brain bleed on warfarin when he was 70.", "My grandad", "bleed"),
        ("My mum suddenly can't get her words out.", "can't get her words out", ""),
    ],
)
def test_current_words_leave_out_what_context_takes_away(
    sentence: str, kept: str, dropped: str
) -> None:
    [current] = context.current_words(sentence, [(0, len(sentence))])
    assert kept in current
    assert not dropped or dropped not in current


def test_a_sentence_all_in_context_keeps_no_words() -> None:
    text = "No fever."
    assert context.current_words(text, [(0, 3), (3, len(text))]) == ["No", ""]


def _numb_model() -> tuple[SemanticModel, list[list[str]]]:
    """A one-feature model: a sentence mentioning numbness scores high for cauda equina; and the
    list the fake embedder records its inputs in."""
    names = tuple(categories())
    weights = np.zeros((len(names), 1))
    bias = np.full(len(names), -10.0)
    weights[names.index("cauda_equina")] = 20.0
    model = SemanticModel(names, weights, bias, np.full(len(names), 0.5), "fake")
    return model, []


def test_the_semantic_layer_does_not_score_negated_or_past_words() -> None:
    model, seen = _numb_model()

    def embed(texts: Sequence[str]) -> np.ndarray:
        seen.append(list(texts))
        return np.array([[1.0 if "numb" in t else 0.0] for t in texts])

    layer = SemanticLayer(model, embed)
    [finding] = layer("Since this morning my bum is numb. I also have a cold.")
    assert finding.category == "cauda_equina"
    assert finding.layer == "semantic"
    assert finding.matched == "Since this morning my bum is numb."
    assert layer("I have back ache. No numbness down below and I can pee fine.") == []
    assert layer("My back hurt in 2019 and I had numbness in my bum back then.") == []
    assert all("numbness" not in t for t in seen[1] + seen[2])


def test_thresholds_are_lowered_past_a_plateau_but_not_for_what_the_lexicon_has() -> None:
    names = ["a", "b"]
    rows: list[dict[str, Any]] = [{"red_flags": ["a"]}, {"red_flags": ["b"]}, {"red_flags": []}]
    # "a" gains recall only two grid steps down (0.85); "b" is found by the lexicon already.
    scores = np.array([[0.86, 0.0], [0.0, 0.3], [0.1, 0.1]])
    found = np.array([[False, False], [False, True], [False, False]])
    thresholds = tune_thresholds(scores, rows, names, budget=0.0, found=found)
    assert thresholds[0] == pytest.approx(0.85)
    assert thresholds[1] == pytest.approx(0.95)


def test_remembered_embeds_each_text_once() -> None:
    calls: list[list[str]] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[float(len(t))] for t in texts])

    cached = remembered(embed)
    first = cached(["ab", "c", "ab"])
    again = cached(["c", "de"])
    assert calls == [["ab", "c"], ["de"]]
    assert first.tolist() == [[2.0], [1.0], [2.0]]
    assert again.tolist() == [[1.0], [2.0]]


def test_the_fast_span_lookup_finds_what_negspacy_scans_for() -> None:
    """`context._within` (bisecting sorted spans) yields, per sub-sentence, exactly the spans
    negspacy's own scan over every span does, so NegEx's verdicts are unchanged."""
    from negspacy.negation import Negex

    text = (
        "No chest pain. But my left arm went numb an hour ago, then it came back, "
        "and my dad had a stroke. I can't feel my face now! Words across. Sentences here."
    )
    nlp = context.pipeline()
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    doc.spans["triage"] = [doc[i : i + n] for n in (1, 2, 5) for i in range(len(doc) - n)]
    bounds = [(s.start, s.end) for s in doc.sents] + [(0, len(doc)), (3, 9), (4, 5)]
    for bound in bounds:
        ours = [(s.start, s.end) for s in context._within(doc, bound, ["triage"])]
        theirs = [
            (s.start, s.end) for s in Negex.yield_spans_within_boundary(doc, bound, {"triage"})
        ]
        assert sorted(ours) == sorted(theirs)
        assert theirs  # every boundary here holds spans: the comparison is not of empties
