"""Sentence-level evidence: every sentence of a draft gets a verdict and the source sentence that
backs it, with embeddings only (no model call), after each generation and on each edit.

Verdicts, most dangerous first (the app shows them in this order):
- `about_the_patient`: states a fact about this patient that the patient's own text lacks
  (e.g. a detail copied from another patient's Q&A);
- `wrong_voice`: written as the patient, or of "the patient" instead of to them;
- `urgency_mismatch`: emergency advice although triage found no red flag;
- `contradicted`: close to a source sentence but giving another amount or the opposite advice
  (`contradiction.py`: a changed dose, a negation added or removed);
- `wrong_citation`: cites a source that does not back it while another one does (`suggested`);
- `unsupported`: no source sentence backs it;
- `general`: greetings and safety-netting any reply may hold;
- `supported`: the best-matching source sentence(s), with the source number and the cosine.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from drafter.drafting.checks import emergency_advice
from drafter.drafting.citations import cited_numbers
from drafter.drafting.contradiction import contradiction
from drafter.drafting.sentences import Sentence, split
from drafter.drafting.voice import PatientClaim, is_general, patient_claims, wrong_voice
from knowledge.embeddings import Embedder

Verdict = Literal[
    "about_the_patient",
    "wrong_voice",
    "urgency_mismatch",
    "contradicted",
    "wrong_citation",
    "unsupported",
    "general",
    "supported",
]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)  # most dangerous first
RED: frozenset[Verdict] = frozenset(
    {"about_the_patient", "wrong_voice", "urgency_mismatch", "contradicted"}
)
TO_CHECK: frozenset[Verdict] = RED | {"wrong_citation", "unsupported"}
Method = Literal["rules", "embedding", "llm"]

# Cosine (bundled all-MiniLM-L6-v2) at or above which a source sentence backs a draft sentence;
# chosen on K-QA dev (bench/eval_calibration.py, docs/benchmarks.md "Draft quality").
SUPPORT_THRESHOLD = 0.67
CALIBRATED_FOR = "local:all-MiniLM-L6-v2"  # another embedder needs its own threshold
# A cited source this far below the threshold, while another source backs the sentence, is a
# wrong citation; nearer, the citation is given the benefit of the doubt.
CITATION_MARGIN = 0.1
MIN_CLAIM_WORDS = 4  # shorter pieces ("Hello,", "In short:") are not claims
# A clause about the patient at least this close (cosine) to one of the patient's own sentences
# restates the question in other words; below it, its details are not the patient's.
RESTATES = 0.6
_CONDITIONAL = re.compile(r"\b(?:if|should you|in case|unless|whenever)\b", re.I)


@dataclass(frozen=True)
class Evidence:
    """A source sentence that backs (or best matches) a draft sentence."""

    source: int
    sentence: str
    score: float

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "sentence": self.sentence, "score": round(self.score, 3)}


@dataclass(frozen=True)
class SentenceCheck:
    part: str
    text: str
    start: int
    end: int
    verdict: Verdict
    method: Method
    note: str = ""
    evidence: tuple[Evidence, ...] = ()
    cited: tuple[int, ...] = ()
    suggested: int | None = None  # the source to cite: missing citation or a wrong one
    heading: str = ""

    @property
    def to_check(self) -> bool:
        return self.verdict in TO_CHECK

    def to_json(self) -> dict[str, object]:
        return {
            "part": self.part,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "verdict": self.verdict,
            "method": self.method,
            "note": self.note,
            "evidence": [e.to_json() for e in self.evidence],
            "cited": list(self.cited),
            "suggested_source": self.suggested,
            "heading": self.heading,
        }


@dataclass(frozen=True)
class SourceText:
    """A numbered source as the check reads it: [n] and its full text."""

    n: int
    text: str


@dataclass
class EvidenceChecker:
    """Checks drafts against numbered sources with one embedder; sentence vectors are cached by
    text, so a re-check after an edit embeds only the sentences that changed."""

    embedder: Embedder
    threshold: float = SUPPORT_THRESHOLD
    cache_size: int = 4096
    _cache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, embedding only those not seen lately."""
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for text, vector in zip(new, self.embedder.embed(new), strict=True):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        for text in texts:
            self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def check(
        self,
        texts: Mapping[str, str],
        *,
        asked: str,
        sources: Sequence[SourceText],
        flagged: bool,
    ) -> list[SentenceCheck]:
        """A verdict for every sentence of each part in `texts` (e.g. reply, explainer), in
        order. `asked` is the patient's own text (with age and sex); `flagged` whether triage
        found a red flag."""
        sentences = [s for part, text in texts.items() for s in split(text, part)]
        decided: dict[int, SentenceCheck] = {}
        claims: list[int] = []
        about = self._about_the_patient(sentences, asked)
        for i, sentence in enumerate(sentences):
            ruled = about.get(i) or _by_rules(sentence, flagged)
            if ruled is not None:
                decided[i] = ruled
            elif len(sentence.plain.split()) < MIN_CLAIM_WORDS:
                decided[i] = _check(sentence, "general", "rules", "too short to be a claim")
            else:
                claims.append(i)
        bank = [(s.n, line.plain) for s in sources for line in split(s.text, "source")]
        bank = [(n, text) for n, text in bank if len(text.split()) >= MIN_CLAIM_WORDS]
        if claims:
            scores = self._scores([sentences[i].plain for i in claims], [t for _, t in bank])
            for row, i in zip(scores, claims, strict=True):
                decided[i] = self._by_evidence(sentences[i], row, bank)
        return [decided[i] for i in range(len(sentences))]

    def _about_the_patient(self, sentences: list[Sentence], asked: str) -> dict[int, SentenceCheck]:
        """Sentences stating details about the patient that the patient's text lacks: found by
        words (`voice.patient_claims`), kept unless the clause restates one of the patient's own
        sentences in other words."""
        found: dict[int, list[PatientClaim]] = {}
        for i, sentence in enumerate(sentences):
            if claims := patient_claims(sentence.plain, asked):
                found[i] = claims
        if not found:
            return {}
        own = [s.plain for s in split(asked, "question")] or [asked]
        clauses = [c.clause for claims in found.values() for c in claims]
        closeness = self._scores(clauses, own).max(axis=1, initial=0.0)
        out = {}
        k = 0
        for i, claims in found.items():
            kept = [
                c
                for c, score in zip(claims, closeness[k : k + len(claims)], strict=True)
                if score < RESTATES
            ]
            k += len(claims)
            if kept:
                missing = [m for c in kept for m in c.missing]
                note = "the patient did not write: " + ", ".join(dict.fromkeys(missing[:6]))
                out[i] = _check(sentences[i], "about_the_patient", "rules", note)
        return out

    def _scores(self, claims: list[str], bank: list[str]) -> np.ndarray:
        if not bank:
            return np.zeros((len(claims), 0), dtype=np.float32)
        vectors = self.vectors([*claims, *bank])
        return vectors[: len(claims)] @ vectors[len(claims) :].T

    def _by_evidence(
        self, sentence: Sentence, row: np.ndarray, bank: list[tuple[int, str]]
    ) -> SentenceCheck:
        cited = tuple(dict.fromkeys(cited_numbers(sentence.text)))
        best: dict[int, Evidence] = {}
        for (n, text), score in zip(bank, row, strict=True):
            if n not in best or score > best[n].score:
                best[n] = Evidence(n, text, float(score))
        ranked = sorted(best.values(), key=lambda e: -e.score)
        top = ranked[0] if ranked else None
        if cited:
            backing = [best[n] for n in cited if n in best]
            strongest = max(backing, key=lambda e: e.score, default=None)
            if strongest is not None and strongest.score >= self.threshold:
                return _supported(sentence, strongest, cited)
            weak = strongest is None or strongest.score < self.threshold - CITATION_MARGIN
            if top is not None and top.score >= self.threshold and weak:
                shown = ", ".join(f"[{n}]" for n in cited)
                note = f"cites {shown}, which does not back it; [{top.source}] does"
                return _check(
                    sentence, "wrong_citation", "embedding", note, (top,), cited, top.source
                )
            if strongest is not None and strongest.score >= self.threshold - CITATION_MARGIN:
                return _supported(sentence, strongest, cited)
        elif top is not None and top.score >= self.threshold:
            return _supported(sentence, top, cited, top.source)
        if is_general(sentence.plain):
            return _check(sentence, "general", "rules", "", (), cited)
        nearest = (top,) if top is not None else ()
        note = "no source sentence backs it" if bank else "there are no sources to back it"
        return _check(sentence, "unsupported", "embedding", note, nearest, cited)


def _check(
    sentence: Sentence,
    verdict: Verdict,
    method: Method,
    note: str,
    evidence: tuple[Evidence, ...] = (),
    cited: tuple[int, ...] = (),
    suggested: int | None = None,
) -> SentenceCheck:
    return SentenceCheck(
        sentence.part,
        sentence.text,
        sentence.start,
        sentence.end,
        verdict,
        method,
        note,
        evidence,
        cited or tuple(dict.fromkeys(cited_numbers(sentence.text))),
        suggested,
        sentence.heading,
    )


def _supported(
    sentence: Sentence, backing: Evidence, cited: tuple[int, ...], suggested: int | None = None
) -> SentenceCheck:
    """Supported, unless the sentence gives another amount than its backing source sentence or
    says the opposite of it (`contradiction`): then contradicted, with that sentence shown."""
    if (why := contradiction(sentence.plain, backing.sentence)) is not None:
        return _check(
            sentence, "contradicted", "rules", f"{why} [{backing.source}]", (backing,), cited
        )
    return _check(sentence, "supported", "embedding", "", (backing,), cited, suggested)


def _by_rules(sentence: Sentence, flagged: bool) -> SentenceCheck | None:
    """The verdicts no source can change: wrong voice, and emergency advice given now (not
    "go to the emergency department if ...") on a question triage did not flag."""
    text = sentence.plain
    if (why := wrong_voice(text)) is not None:
        return _check(sentence, "wrong_voice", "rules", why)
    if flagged or _CONDITIONAL.search(text):
        return None
    if (advice := emergency_advice(text)) is not None:
        note = f"says “{advice}” but triage found no red flag"
        return _check(sentence, "urgency_mismatch", "rules", note)
    return None


def with_citations(text: str, checks: Sequence[SentenceCheck]) -> str:
    """`text` with the citation of its best source added to each supported sentence that cites
    nothing ("helps [2]."). A wrong citation is only marked, with the one to use: the doctor
    decides. Emergency advice is never given a source's number: it comes from triage."""
    out = text
    for check in sorted(checks, key=lambda c: -c.start):
        if check.suggested is None or check.verdict != "supported" or check.cited:
            continue
        if out[check.start : check.end] != check.text or emergency_advice(check.text):
            continue  # not this text's sentence, or the urgent advice
        body = check.text.rstrip()
        cut = len(body.rstrip(".!?\"'”’)"))
        fixed = f"{body[:cut].rstrip()} [{check.suggested}]{body[cut:]}"
        out = out[: check.start] + fixed + out[check.end :]
    return out


def counts(checks: Sequence[SentenceCheck]) -> dict[str, int]:
    """How many sentences got each verdict, in the order above, and how many to check."""
    out: dict[str, int] = {v: sum(1 for c in checks if c.verdict == v) for v in VERDICTS}
    return {**out, "to_check": sum(1 for c in checks if c.to_check)}
