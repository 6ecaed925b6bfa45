"""Context done by a clinical-NLP library: negspacy's NegEx, run once per modifier (negated,
historical, family, hypothetical) with the termsets of data/context.toml over spaCy sentences.
A flag's words in any of these contexts are not this patient's emergency now; a relative's
symptoms *now* ("my mum suddenly can't get her words out") stay a finding."""

from __future__ import annotations

import re
import threading
import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from drafter.triage.categories import DATA
from drafter.triage.findings import Span

MODIFIERS = ("negated", "historical", "family", "hypothetical")
_KEYS = {
    "preceding": "preceding_negations",
    "following": "following_negations",
    "pseudo": "pseudo_negations",
    "termination": "termination",
}
_WORD = re.compile(r"[\w'’-]+")
_SORTED = ("triage", "sorted spans")  # where `_within` keeps a doc's spans, in doc.user_data
_LOCK = threading.Lock()  # a spaCy pipeline is not safe to share between threads mid-call


def termsets() -> dict[str, dict[str, list[str]]]:
    """The termsets negspacy takes, per modifier; `negated` extends negspacy's en_clinical."""
    from negspacy.termsets import termset

    raw = tomllib.loads((DATA / "context.toml").read_text(encoding="utf-8"))
    clinical = termset("en_clinical").get_patterns()
    out = {}
    for modifier in MODIFIERS:
        ours = {_KEYS[k]: list(v) for k, v in raw[modifier].items()}
        if modifier == "negated":
            ours = {k: sorted(set(clinical[k]) | set(ours.get(k, []))) for k in clinical}
        out[modifier] = {k: ours.get(k, []) for k in _KEYS.values()}
    return out


def _within(doc: Any, boundary: tuple[int, int], span_keys: Iterable[str]) -> Iterator[Any]:
    """negspacy's `yield_spans_within_boundary` (the spans wholly inside one sub-sentence) by
    bisecting the spans sorted once per doc, not scanning them all for every sub-sentence: the
    same spans, in linear rather than quadratic time over a long question's words."""
    spans = doc.user_data.get(_SORTED)
    if spans is None:
        spans = sorted(
            ((span.start, span.end, span) for key in span_keys for span in doc.spans.get(key, [])),
            key=lambda item: (item[0], item[1]),
        )
        doc.user_data[_SORTED] = spans
    start, end = boundary
    for first, last, span in spans[bisect_left(spans, start, key=lambda item: item[0]) :]:
        if first >= end:
            break
        if start < last <= end:
            yield span


@cache
def _factory() -> str:
    """negspacy's NegEx with `_within`, registered once as a spaCy factory."""
    from negspacy.negation import Negex
    from spacy.language import Language

    class TriageNegex(Negex):  # type: ignore[misc]
        yield_spans_within_boundary = staticmethod(_within)

    name = "triage_negex"
    if not Language.has_factory(name):
        Language.factory(name, default_config={"ent_types": None, "chunk_prefix": None})(
            TriageNegex
        )
    return name


@cache
def pipeline() -> Any:
    """spaCy's blank English with its rule sentencizer and one NegEx per modifier (loaded once)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for modifier, terms in termsets().items():
        nlp.add_pipe(
            _factory(),
            name=modifier,
            config={
                "neg_termset": terms,
                "extension_name": f"triage_{modifier}",
                "span_keys": ["triage"],
            },
        )
    return nlp


def judge(text: str, spans: Sequence[Span]) -> list[set[str]]:
    """For each span of `text`, the modifiers that apply to it (empty: affirmed, now)."""
    if not spans:
        return []
    nlp = pipeline()
    with _LOCK:
        doc = nlp.make_doc(text)
        for name, component in nlp.pipeline:
            if name == "sentencizer":
                doc = component(doc)
        chosen = [doc.char_span(s, e, alignment_mode="expand") for s, e in spans]
        doc.spans["triage"] = [c for c in chosen if c is not None]
        for name, component in nlp.pipeline:
            if name != "sentencizer":
                doc = component(doc)
        verdicts: dict[tuple[int, int], set[str]] = {}
        for span in doc.spans["triage"]:
            found = {m for m in MODIFIERS if span._.get(f"triage_{m}")}
            verdicts[(span.start_char, span.end_char)] = found
    out = []
    for (start, end), piece in zip(spans, chosen, strict=True):
        key = (piece.start_char, piece.end_char) if piece is not None else (start, end)
        out.append(verdicts.get(key, set()))
    return out


def current_words(text: str, spans: Sequence[Span]) -> list[str]:
    """For each span of `text` (a sentence), its words that no modifier applies to: what it says
    of the patient now: "No numbness, just back ache" keeps "No just back ache", and a sentence all
    in context ("my grandad had a brain bleed years ago") keeps nothing."""
    words = [[(m.start(), m.end()) for m in _WORD.finditer(text, s, e)] for s, e in spans]
    verdicts = iter(judge(text, [w for group in words for w in group]))
    return [" ".join(text[a:b] for a, b in group if not next(verdicts)) for group in words]


def sentences(text: str) -> list[Span]:
    """The text's sentences as character spans (spaCy's rule sentencizer)."""
    nlp = pipeline()
    with _LOCK:
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
        return [(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
