"""Who a draft sentence speaks as, and what it says about the patient: the rules behind the
`wrong_voice`, `about_the_patient` and `general` verdicts (word lists in data/voice.toml).

A reply is the doctor writing to the patient. "I'm 58 and have a meniscus tear" is the patient's
voice; "You have a disc bulge at L4-L5" states a fact about this patient, which only the patient's
own text can back; "see your doctor if it gets worse" needs no source."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from knowledge.lexical import tokenize

DATA = Path(__file__).parent / "data" / "voice.toml"

# "you ..." / "your <up to three words> ..." followed by a verb that states a fact, or "you" as the
# object of something that happened to the patient ("the clinic gave you ...").
_YOU_FACT = re.compile(
    r"\byou(?:'ve| have| had|'re| are| were| underwent| developed| suffered| take| took| started|"
    r" stopped| mentioned| described| noted| reported| said| told| noticed| feel| felt| get| got|"
    r" thought| did| went| saw| tried| used| bought| visited| lost| gained| woke| worked| lived|"
    r" smoke| smoked| drink| drank)\b"
    r"|\byour(?: (?!it\b|this\b|that\b|there\b|which\b)[\w-]+){1,3}? "
    r"(?:is|are|was|were|has|have|had|feels?|felt|hurts?|hurt|shows?|showed|"
    r"flared|swells?|swelled|looks?|looked|came back|started|began|got)\b"
    r"|\b(?:gave|told|prescribed|sent|diagnosed|put|started|referred|admitted|operated on) you\b",
    re.I,
)
# Where the clause stating the fact ends.
_CLAUSE_END = re.compile(
    r"[,;:()]|\s(?:and|but|which|who|so|because|since|while|although|though|as|or|that is)\s", re.I
)
_HEDGE = re.compile(
    r"\b(?:likely|probably|possibly|perhaps|suggests?|sounds? like|seems?|typically|usually|"
    r"often|commonly|common|normal)\b",
    re.I,
)
_ADVICE_AFTER = re.compile(r"(?:to|not to|welcome|able to|right to)\b", re.I)
_I = re.compile(r"(?<![\w'-])I(?:'m|'ve|'d|'ll)?(?![\w'-])")
_ADDRESSED_AS_PATIENT = re.compile(
    r"\b(?:dear|the|this|our) patient\b|\bpatient(?:'s)? (?:should|must|is|has|needs)\b", re.I
)
_MY = re.compile(r"\bmy ([a-z][\w-]*)", re.I)
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class VoiceWords:
    doctor_my: frozenset[str]
    doctor_i: re.Pattern[str]
    patient_i: re.Pattern[str]
    not_a_fact: re.Pattern[str]
    generic: frozenset[str]
    general: re.Pattern[str]


@functools.cache
def words() -> VoiceWords:
    raw = tomllib.loads(DATA.read_text(encoding="utf-8"))

    def any_of(items: list[str], *, whole: bool = True) -> re.Pattern[str]:
        joined = "|".join(f"(?:{item})" for item in items)
        return re.compile(rf"\b(?:{joined})\b" if whole else joined, re.I)

    return VoiceWords(
        doctor_my=frozenset(raw["doctor_my"]),
        doctor_i=re.compile("|".join(f"(?:{d})" for d in raw["doctor_i"]), re.I),
        patient_i=any_of(raw["patient_i"]),
        not_a_fact=any_of(raw["not_a_fact"]),
        generic=frozenset(tokenize(" ".join(raw["generic"]))),
        general=re.compile("|".join(f"(?:{g})" for g in raw["general"]), re.I),
    )


def _straight(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def wrong_voice(sentence: str) -> str | None:
    """Why `sentence` is not the doctor speaking to the patient, or None: the patient's first
    person ("I'm 58", "my knee", "should I ...?") or the patient in the third person."""
    text = _straight(sentence)
    if (found := words().patient_i.search(text)) is not None:
        return f"written as the patient (“{found.group(0)}”)"
    for mine in _MY.finditer(text):
        if mine.group(1).lower() not in words().doctor_my:
            return f"written as the patient (“{mine.group(0)}”)"
    for i in _I.finditer(text):
        if not words().doctor_i.match(text, i.start()):
            said = " ".join(text[i.start() :].split()[:3])
            return f"written as the patient (“{said}”)"
    if (found := _ADDRESSED_AS_PATIENT.search(text)) is not None:
        return f"speaks of “{found.group(0)}” instead of to the patient"
    return None


@dataclass(frozen=True)
class PatientClaim:
    """A clause stating a fact about the patient, and its words the patient's text lacks."""

    clause: str
    missing: list[str]


def patient_claims(sentence: str, asked: str) -> list[PatientClaim]:
    """The clauses of `sentence` that state, as facts about the patient, details the patient's own
    text (`asked`: the question with its age and sex) does not contain word for word.

    Only plain statements count: "you have ..." / "your knee is ..." / "they gave you ...";
    advice ("you should"), conditions ("if you have"), possibilities ("you may have") and hedged
    readings ("your pain is likely ...") are claims for the sources to back, not facts about the
    patient. Whether a clause merely restates the question in other words is for embeddings to
    judge (`drafter.drafting.evidence`)."""
    text = _straight(sentence).strip()
    if text.endswith("?"):
        return []
    vocabulary = words()
    known = set(tokenize(asked))
    claims = []
    for fact in _YOU_FACT.finditer(text):
        before = re.split(r"[,;:]", text[: fact.start()])[-1]
        after = " ".join(text[fact.end() :].split()[:4])
        if vocabulary.not_a_fact.search(before) or vocabulary.not_a_fact.search(fact.group(0)):
            continue
        if _HEDGE.search(after) or _ADVICE_AFTER.match(after):
            continue
        rest = text[fact.end() :]
        stop = _CLAUSE_END.search(rest)
        clause = text[fact.start() : fact.end() + (stop.start() if stop else len(rest))]
        missing = [
            stem
            for stem in dict.fromkeys(tokenize(clause))
            if stem not in known and stem not in vocabulary.generic and stem not in _PRONOUNS
        ]
        if any(_NUMBER.search(m) for m in missing) or len(missing) >= 2:
            claims.append(PatientClaim(clause.strip(), missing))
    return claims


_PRONOUNS = frozenset(tokenize("you your yours yourself you've you're"))


def is_general(sentence: str) -> bool:
    """A greeting, thanks or safety-netting that any reply may hold without a source."""
    return words().general.search(_straight(sentence)) is not None
