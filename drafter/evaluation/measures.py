"""Automated measures of a drafted answer, as pure functions (the `drafter eval` report).

Text measures (sentences, words, syllables, reading grade, ROUGE-L) work on strings; embedding
measures (groundedness, coverage of gold statements, similarity to a reference) work on unit
vectors the caller computed, so every function here is exact and testable without a model.
The thresholds and how they were chosen are in docs/benchmarks.md ("Draft quality").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from drafter.drafting.citations import check_citations, cited_numbers

# The cosine at which a sentence says the same as another (a draft sentence as supported by a
# source sentence, a gold statement as covered by a draft sentence) is the evidence check's.
from drafter.drafting.evidence import CALIBRATED_FOR as CALIBRATED_FOR
from drafter.drafting.evidence import SUPPORT_THRESHOLD as SUPPORT_THRESHOLD

MIN_SENTENCE_WORDS = 4  # shorter pieces ("Hello,", "In short:") are not claims

_CITATION = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_HEADING = re.compile(r"^\s*#{1,6}\s+.*$", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.M)
_EMPHASIS = re.compile(r"[*_`]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_TOKEN = re.compile(r"[a-z0-9]+")
_NEGATION = re.compile(
    r"\b(?:no|not|never|none|nothing|nobody|neither|nor|cannot|without)\b|n['’]t\b", re.I
)


# --- text ---------------------------------------------------------------------------------------


def plain_text(markdown: str) -> str:
    """The prose of a draft: headings, list markers, emphasis and [n] citations removed."""
    text = _HEADING.sub("", markdown)
    text = _BULLET.sub("", text)
    text = _CITATION.sub("", text)
    return _EMPHASIS.sub("", text)


def split_sentences(markdown: str, min_words: int = 1) -> list[str]:
    """Sentences of the prose: each line is split after . ! or ?; headings are dropped."""
    out: list[str] = []
    for line in plain_text(markdown).splitlines():
        for piece in _SENTENCE_END.split(line.strip()):
            piece = " ".join(piece.split())
            if piece and len(_WORD.findall(piece)) >= min_words:
                out.append(piece)
    return out


def words(text: str) -> list[str]:
    """Words (letters, inner apostrophes kept); numbers and citation markers are not words."""
    return _WORD.findall(plain_text(text))


def count_syllables(word: str) -> int:
    """English syllables by a heuristic: groups of vowels (a e i o u y), less a silent final
    "e" ("make" 1, but "table" 2 and "the" 1), less the "e" of a final "-ed" or "-es" that is
    not heard ("hoped" 1, "makes" 1; "wanted" 2, "agreed" 2, "boxes" 2, "places" 2); at least 1."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    count = len(re.findall(r"[aeiouy]+", w))
    silent = (
        (w.endswith("e") and not re.search(r"(?:[^aeiouy]l|e)e$", w))
        or (w.endswith("ed") and not re.search(r"[tde]ed$", w))
        or (w.endswith("es") and not re.search(r"(?:[sxz]|[cs]h|[cgs])es$", w))
    )
    if count > 1 and silent:
        count -= 1
    return max(1, count)


def flesch_kincaid_grade(text: str) -> float | None:
    """Flesch-Kincaid grade: 0.39 words/sentence + 11.8 syllables/word - 15.59 (None if empty)."""
    sentences = split_sentences(text)
    tokens = [w for s in sentences for w in _WORD.findall(s)]
    if not sentences or not tokens:
        return None
    syllables = sum(count_syllables(w) for w in tokens)
    grade = 0.39 * len(tokens) / len(sentences) + 11.8 * syllables / len(tokens) - 15.59
    return round(grade, 2)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(plain_text(text).lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, one row at a time)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float | None:
    """ROUGE-L F1 over lower-cased word tokens (Lin 2004, beta = 1); None if either is empty."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return None
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return round(2 * precision * recall / (precision + recall), 4)


def has_negation(sentence: str) -> bool:
    return bool(_NEGATION.search(sentence))


# --- vectors ------------------------------------------------------------------------------------


def best_matches(queries: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the highest cosine with any target row and that row's index.

    Rows are unit vectors, so the cosine is the dot product. No targets: scores -1, index -1.
    """
    if len(queries) == 0 or len(targets) == 0:
        return np.full(len(queries), -1.0), np.full(len(queries), -1, dtype=int)
    sims = queries @ targets.T
    index = sims.argmax(axis=1)
    return sims[np.arange(len(queries)), index], index


def share_supported(
    sentences: np.ndarray, sources: np.ndarray, threshold: float = SUPPORT_THRESHOLD
) -> float | None:
    """Groundedness: the share of sentences whose best source sentence is >= threshold."""
    if len(sentences) == 0:
        return None
    scores, _ = best_matches(sentences, sources)
    return round(float((scores >= threshold).mean()), 4)


def centroid_cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cosine of the mean sentence vectors of two texts (the whole text, not its first 256
    tokens, which is all MiniLM reads of one long input)."""
    if len(a) == 0 or len(b) == 0:
        return None
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    denominator = float(np.linalg.norm(ca) * np.linalg.norm(cb))
    return round(float(ca @ cb) / denominator, 4) if denominator else None


@dataclass(frozen=True)
class StatementMatch:
    """A gold statement against the draft: its closest draft sentence and the verdicts."""

    statement: str
    must_have: bool
    score: float
    sentence: str
    covered: bool
    contradicted: bool

    def to_json(self) -> dict[str, object]:
        return {
            "statement": self.statement,
            "must_have": self.must_have,
            "score": round(self.score, 4),
            "sentence": self.sentence,
            "covered": self.covered,
            "contradicted": self.contradicted,
        }


def match_statements(
    statements: Sequence[str],
    statement_vectors: np.ndarray,
    must_have: Sequence[bool],
    sentences: Sequence[str],
    sentence_vectors: np.ndarray,
    threshold: float = SUPPORT_THRESHOLD,
) -> list[StatementMatch]:
    """K-QA by similarity: a statement is *contradicted* when its closest draft sentence is
    >= threshold and exactly one of the two is negated ("should not be taken" / "should be
    taken"), *covered* when that sentence is >= threshold and it is not contradicted.

    An approximation of the paper's entailment and contradiction judgements, not a replacement.
    """
    scores, index = best_matches(statement_vectors, sentence_vectors)
    out = []
    for statement, needed, score, i in zip(statements, must_have, scores, index, strict=True):
        sentence = sentences[i] if i >= 0 else ""
        close = bool(score >= threshold)
        contradicted = close and has_negation(statement) != has_negation(sentence)
        out.append(
            StatementMatch(
                statement, needed, float(score), sentence, close and not contradicted, contradicted
            )
        )
    return out


def comprehensiveness(matches: Sequence[StatementMatch]) -> float | None:
    """K-QA's comprehensiveness: the share of must-have statements the draft covers."""
    needed = [m for m in matches if m.must_have]
    return round(sum(m.covered for m in needed) / len(needed), 4) if needed else None


def contradictions(matches: Sequence[StatementMatch]) -> int:
    """K-QA's hallucination count: gold statements (must-have and nice-to-have) contradicted."""
    return sum(m.contradicted for m in matches)


# --- citations and red flags --------------------------------------------------------------------


@dataclass(frozen=True)
class CitationScore:
    cited: int  # citation markers, [1, 2] counting two
    valid: int  # of those, naming a source the part was given
    issues: list[str]

    @property
    def validity(self) -> float | None:
        return round(self.valid / self.cited, 4) if self.cited else None


def citation_score(parts: Iterable[tuple[str, str, int]]) -> CitationScore:
    """Citations of each (where, text, number of sources it was given) against those sources."""
    cited = valid = 0
    issues: list[str] = []
    for where, text, n_sources in parts:
        if not text.strip():
            continue
        numbers = cited_numbers(text)
        cited += len(numbers)
        valid += sum(1 <= n <= n_sources for n in numbers)
        issues += [f"{i.where}: {i.detail}" for i in check_citations(text, n_sources, where)]
    return CitationScore(cited, valid, issues)


@dataclass(frozen=True)
class RedFlagScore:
    labelled: int  # items with a red-flag label (negatives included)
    expected: int  # expected rule ids over all items
    found: int  # of those, detected
    negatives: int  # labelled items expecting no flag
    false_alarms: int  # of those, flagged anyway
    positives: int = 0  # labelled items expecting at least one flag
    any_found: int = 0  # of those, flagged with anything
    by_category: tuple[tuple[str, int, int], ...] = ()  # (category, expected, found)

    @property
    def any_flag_recall(self) -> float | None:
        return round(self.any_found / self.positives, 4) if self.positives else None

    @property
    def recall(self) -> float | None:
        return round(self.found / self.expected, 4) if self.expected else None

    @property
    def false_alarm_rate(self) -> float | None:
        return round(self.false_alarms / self.negatives, 4) if self.negatives else None


def red_flag_score(pairs: Iterable[tuple[Sequence[str] | None, Sequence[str]]]) -> RedFlagScore:
    """From (expected rule ids or None when unlabelled, detected rule ids) per item."""
    labelled = expected = found = negatives = false_alarms = positives = any_found = 0
    per: dict[str, list[int]] = {}
    for wanted, detected in pairs:
        if wanted is None:
            continue
        labelled += 1
        expected += len(set(wanted))
        found += len(set(wanted) & set(detected))
        for category in set(wanted):
            counts = per.setdefault(category, [0, 0])
            counts[0] += 1
            counts[1] += category in detected
        if wanted:
            positives += 1
            any_found += bool(detected)
        else:
            negatives += 1
            false_alarms += bool(detected)
    by_category = tuple((c, n, k) for c, (n, k) in sorted(per.items()))
    return RedFlagScore(
        labelled, expected, found, negatives, false_alarms, positives, any_found, by_category
    )


# --- aggregates and calibration -----------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile with linear interpolation between order statistics (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


@dataclass(frozen=True)
class Calibration:
    threshold: float
    tpr: float  # positives at or above the threshold
    fpr: float  # negatives at or above the threshold


def youden_threshold(positives: Sequence[float], negatives: Sequence[float]) -> Calibration:
    """The cut that best separates positive from negative scores: max TPR - FPR (Youden's J)
    over every observed score; ties go to the higher cut (fewer false "supported")."""
    if not positives or not negatives:
        raise ValueError("need positive and negative scores")
    cuts = sorted(set(positives) | set(negatives), reverse=True)
    candidates = [
        Calibration(
            cut,
            sum(p >= cut for p in positives) / len(positives),
            sum(n >= cut for n in negatives) / len(negatives),
        )
        for cut in cuts
    ]
    # max() keeps the first of equals: the highest cut, as `cuts` runs from high to low
    return max(candidates, key=lambda c: c.tpr - c.fpr)
