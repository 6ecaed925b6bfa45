"""Planted errors: correct replies with one wrong sentence each, to measure the evidence check.

Each case is a doctor's correct answer, cited to its numbered sources, with one error planted:
a detail about the patient taken from another patient's question, a sentence in the patient's
voice, a citation to the wrong source, a claim from an unrelated answer, a changed dose or
duration, reversed advice, or a false emergency instruction. `bench/planted.py` builds the set
(knowledge/eval/planted.jsonl from the sample knowledge base; K-QA dev from ../shared at run time)
and reports, per kind, how often the planted sentence is marked and how often an untouched one is.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from drafter.drafting.sentences import split, strip_citations

KINDS = (
    "about_the_patient",
    "wrong_voice",
    "wrong_citation",
    "unsupported",
    "wrong_dose",
    "reversed_advice",
    "false_emergency",
)
# The verdict that counts as catching each kind (any mark for the ones no verdict names).
EXPECTED = {
    "about_the_patient": "about_the_patient",
    "wrong_voice": "wrong_voice",
    "wrong_citation": "wrong_citation",
    "unsupported": "unsupported",
    "false_emergency": "urgency_mismatch",
    "wrong_dose": "contradicted",
    "reversed_advice": "contradicted",
}
EMERGENCIES = (
    "Please go to the emergency department now.",
    "You need to call an ambulance immediately.",
    "Go to the hospital right away, this cannot wait.",
    "Call 911 now and do not drive yourself.",
)


@dataclass(frozen=True)
class PlantedCase:
    id: str
    kind: str
    split: str
    asked: str  # the patient's own text, with age group and sex
    reply: str
    planted: str  # the planted sentence as it stands in the reply
    sources: list[dict[str, Any]] = field(default_factory=list)  # {"n", "text"}
    flagged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**vars(self)}


@dataclass(frozen=True)
class Answered:
    """A correct answer to plant into: its question, its answer, and what backs the answer."""

    id: str
    asked: str
    answer: str
    backing: list[str]  # the texts numbered [1].. as sources; [1] backs the answer
    others: list[str]  # other patients' questions and other answers, to borrow errors from
    flagged: bool = False  # triage flags the question: emergency advice is no error there


def split_of(case_id: str) -> str:
    """Half dev, half test, fixed by the id (the check is tuned on dev only)."""
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "test"


def cited(answer: str) -> list[str]:
    """The answer's sentences, each cited to source [1] (a correct reply cites its source)."""
    out = []
    for sentence in split(answer):
        text = strip_citations(sentence.text).rstrip()
        cut = len(text.rstrip(".!?\"'”’)"))
        out.append(f"{text[:cut]} [1]{text[cut:]}" if len(text.split()) >= 4 else text)
    return out


_FIRST_PERSON = (
    (r"\bI'm\b", "you're"),
    (r"\bI am\b", "you are"),
    (r"\bI've\b", "you've"),
    (r"\bI have\b", "you have"),
    (r"\bI had\b", "you had"),
    (r"\bI was\b", "you were"),
    (r"\bI\b", "you"),
    (r"\bmy\b", "your"),
    (r"\bMy\b", "Your"),
    (r"\bme\b", "you"),
    (r"\bmyself\b", "yourself"),
)


def second_person(sentence: str) -> str:
    """'I had surgery on my knee' -> 'You had surgery on your knee'."""
    out = sentence
    for pattern, replacement in _FIRST_PERSON:
        out = re.sub(pattern, replacement, out)
    return out[:1].upper() + out[1:]


def _patient_sentences(text: str) -> list[str]:
    """First-person statements of fact from a patient's question (not its questions)."""
    found = []
    for sentence in split(text):
        s = sentence.plain
        if s.endswith("?") or len(s.split()) < 6 or len(s.split()) > 30:
            continue
        if re.search(r"\b(?:I|my|I'm|I've)\b", s) and re.search(r"\d|\b(?:had|have|was)\b", s):
            found.append(s)
    return found


def _claims(text: str) -> list[str]:
    """Plain claims of an answer: 8 to 30 words, no 'you', no question."""
    found = []
    for sentence in split(text):
        s = sentence.plain
        if s.endswith("?") or not 8 <= len(s.split()) <= 30:
            continue
        if re.search(r"\b(?:you|your|I|me|my|we|our)\b", s, re.I):
            continue
        found.append(s)
    return found


_DOSE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(mg|mcg|g|ml|units?|times|hours?|days?|weeks?|months?)\b")
_REVERSIBLE = (
    (r"\bshould not\b", "should"),
    (r"\bshould\b", "should not"),
    (r"\bis not\b", "is"),
    (r"\bis\b", "is not"),
    (r"\bcan\b", "cannot"),
    (r"\bdo not\b", "do"),
    (r"\bdon't\b", "do"),
    (r"\bavoid\b", "keep"),
)


def plant(item: Answered, kind: str, rng: random.Random) -> PlantedCase | None:
    """One case of `kind` from `item`, or None when the item offers nothing to plant."""
    sentences = cited(item.answer)
    if len(sentences) < 3:
        return None
    at = rng.randrange(1, len(sentences))  # never before the greeting
    planted: str | None = None
    replace = False
    if kind == "about_the_patient":
        borrowed = [s for text in item.others for s in _patient_sentences(text)]
        planted = second_person(rng.choice(borrowed)) if borrowed else None
    elif kind == "wrong_voice":
        own = _patient_sentences(item.asked)
        planted = rng.choice(own) if own else None
    elif kind == "wrong_citation" and len(item.backing) >= 2:
        choices = [i for i, s in enumerate(sentences) if s.endswith(("[1].", "[1]"))]
        if choices:
            at = rng.choice(choices)
            wrong = rng.randrange(2, len(item.backing) + 1)
            planted, replace = sentences[at].replace("[1]", f"[{wrong}]"), True
    elif kind == "unsupported":
        borrowed = [s for text in item.others for s in _claims(text)]
        planted = rng.choice(borrowed) if borrowed else None
    elif kind == "wrong_dose":
        choices = [i for i, s in enumerate(sentences) if _DOSE.search(s)]
        if choices:
            at = rng.choice(choices)
            planted, replace = _DOSE.sub(_changed_dose, sentences[at], count=1), True
    elif kind == "reversed_advice":
        for i in rng.sample(range(1, len(sentences)), len(sentences) - 1):
            for pattern, replacement in _REVERSIBLE:
                if re.search(pattern, sentences[i]):
                    at, replace = i, True
                    planted = re.sub(pattern, replacement, sentences[i], count=1)
                    break
            if planted:
                break
    elif kind == "false_emergency" and not item.flagged:
        planted = rng.choice(EMERGENCIES)
    if not planted:
        return None
    reply = [*sentences]
    if replace:
        reply[at] = planted
    else:
        reply.insert(at, planted)
    case_id = f"{item.id}:{kind}"
    return PlantedCase(
        case_id,
        kind,
        split_of(case_id),
        item.asked,
        " ".join(reply),
        planted,
        [{"n": n, "text": text} for n, text in enumerate(item.backing, start=1)],
        item.flagged,
    )


def _changed_dose(found: re.Match[str]) -> str:
    value = float(found.group(1))
    changed = value * 10 if value < 10 else value / 2
    shown = f"{changed:g}"
    return f"{shown} {found.group(2)}"


def plant_all(items: Sequence[Answered], seed: int = 7) -> list[PlantedCase]:
    """One case per item, the kinds taken in turn (an item that cannot take its kind tries the
    next), so every kind is about equally common."""
    rng = random.Random(seed)
    cases = []
    for i, item in enumerate(items):
        for k in range(len(KINDS)):
            case = plant(item, KINDS[(i + k) % len(KINDS)], rng)
            if case is not None:
                cases.append(case)
                break
    return cases
