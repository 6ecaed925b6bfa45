"""A floor under the explainer: a More Info article assembled from the sources' own sentences.

When the model's explainer fails its checks twice (or always, with `explainer_mode="assembled"`)
the article is put together from the retrieved sources instead of keeping text that failed: the
planned `## ` headings, under each the source sentences that best fit both the heading and the
question, each with its `[n]`. FAQ sentences win near ties (they speak to no one in particular);
a past answer's sentence is never used when it states a fact about a patient the question does
not contain (`voice.patient_claims`), is in the wrong voice, or speaks to its own patient.
The only words Drafter adds are the fixed sentences of `prompts/explainer/assembled.toml`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from drafter.drafting.checks import emergency_advice
from drafter.drafting.sentences import split
from drafter.drafting.sources import Source, without_greeting
from drafter.drafting.voice import patient_claims, wrong_voice
from prompts import PROMPTS_DIR, PromptError

NOTE = "assembled from sources"
TEXTS_FILE = PROMPTS_DIR / "explainer" / "assembled.toml"
PER_SECTION = 3  # source sentences under one heading
MIN_WORDS = 6  # a shorter source sentence is a fragment, not a statement
MIN_SECTIONS = 2  # fewer body sections with a sentence: not worth an article
FIT_FLOOR = 0.3  # a sentence fitting its heading and the question less than this is left out
QUESTION_FLOOR = 0.3  # nor one further than this from the question
TITLE_FLOOR = 0.4  # a source is on the question's topic when its title is this near it,
SOURCE_FLOOR = 0.5  # or its best sentence is
_SEEK_CARE = re.compile(
    r"\b(see|call|contact|seek|get|go to|visit|talk to|consult)\b.{0,60}"
    r"\b(doctor|gp|physician|medical|help|care|emergency|911|999|112|a&e|urgent)",
    re.I,
)

# a past answer's words to its own patient ("we recommend", "your age", "you should") or about
# the relative it was asked for ("because he has no fever"): an FAQ's "you" is anyone, a past
# answer's is somebody else
_ADDRESSED = re.compile(r"\b(we|i|you|your|yours|yourself|he|she|him|his|her|hers)\b", re.I)
_EMERGENCY = re.compile(r"\b(emergency|ambulance|911|999|112|a&e|within hours)\b", re.I)
FAQ_BONUS = 0.05  # an FAQ sentence wins a near tie with a past answer's

Vectors = Callable[[Sequence[str]], np.ndarray]  # unit vectors, one row per text


@dataclass(frozen=True)
class FixedTexts:
    opening: str
    empty_section: str
    safety_net: str
    conclusion: str


@cache
def fixed_texts() -> FixedTexts:
    try:
        data = tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))
        return FixedTexts(**{k: str(data[k]).strip() for k in FixedTexts.__dataclass_fields__})
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise PromptError(
            f"{TEXTS_FILE}: needs opening, empty_section, safety_net, conclusion ({exc})"
        ) from None


@dataclass(frozen=True)
class Candidate:
    """A source sentence the article may use: its source number, text and source section."""

    n: int
    text: str
    heading: str
    general: bool  # from an FAQ article, written to no one in particular


def candidates(sources: Sequence[Source], asked: str, *, flagged: bool) -> list[Candidate]:
    """The usable sentences of the sources, FAQ articles first: none in the wrong voice, none
    stating a fact about a patient that the question does not contain, no questions, none of a
    past answer's words to its own patient, and no emergency advice unless triage flagged the
    question (another patient's emergency is not this one's)."""
    ordered = sorted(sources, key=lambda s: s.kind != "faq")
    seen: set[str] = set()
    out = []
    for source in ordered:
        for sentence in split(without_greeting(source.facts or source.excerpt), "source"):
            text = sentence.plain
            if len(text.split()) < MIN_WORDS or text.lower() in seen or text.endswith("?"):
                continue
            if wrong_voice(text) or patient_claims(text, asked):
                continue
            if source.kind != "faq" and _ADDRESSED.search(text):
                continue
            if not flagged and (emergency_advice(text) or _EMERGENCY.search(text)):
                continue
            text = text[0].upper() + text[1:]
            seen.add(text.lower())
            out.append(Candidate(source.n, text, sentence.heading, source.kind == "faq"))
    return out


def assemble_explainer(
    headings: Sequence[str],
    sources: Sequence[Source],
    asked: str,
    vectors: Vectors,
    *,
    flagged: bool = False,
) -> str | None:
    """The article under `headings` (the plan's; the last two are "when to see a doctor" and the
    conclusion), or None when the sources give too little to fill it. `asked`: the patient's
    text; `flagged`: triage found a red flag."""
    pool = on_topic(candidates(sources, asked, flagged=flagged), sources, asked, vectors)
    if not pool or len(headings) < 3:
        return None
    body, seek, end = list(headings[:-2]), headings[-2], headings[-1]
    texts = [c.text for c in pool]
    own = vectors(texts)
    under = vectors([c.heading or c.text for c in pool])
    wanted = vectors([asked, *body])
    to_question = own @ wanted[0]
    to_heading = np.maximum(under @ wanted[1:].T, own @ wanted[1:].T)
    bonus = np.array([FAQ_BONUS if c.general else 0.0 for c in pool])
    fits = 0.5 * to_question[:, None] + 0.5 * to_heading + bonus[:, None]
    used: set[int] = set()
    fixed = fixed_texts()
    sections = []
    for j, heading in enumerate(body):
        order = [
            i
            for i in np.argsort(-fits[:, j])
            if i not in used and fits[i, j] >= FIT_FLOOR and to_question[i] >= QUESTION_FLOOR
        ]
        best = [i for i in order if not _SEEK_CARE.search(texts[i])][:PER_SECTION]
        used.update(best)
        sections.append((heading, [_cited(pool[i]) for i in sorted(best)]))
    if sum(bool(lines) for _, lines in sections) < MIN_SECTIONS:
        return None
    care = [
        i
        for i in np.argsort(-to_question)
        if i not in used and _SEEK_CARE.search(texts[i]) and to_question[i] >= QUESTION_FLOOR
    ]
    care_lines = [_cited(pool[i]) for i in care[:2]] or [fixed.safety_net]
    parts = [fixed.opening]
    for heading, lines in [*sections, (seek, care_lines), (end, [fixed.conclusion])]:
        parts.append(f"## {heading}\n" + " ".join(lines or [fixed.empty_section]))
    return "\n\n".join(parts)


def on_topic(
    pool: list[Candidate], sources: Sequence[Source], asked: str, vectors: Vectors
) -> list[Candidate]:
    """The candidates of the sources that are about the question: a source whose title or best
    sentence is near it (retrieval also brings neighbours on other topics)."""
    if not pool:
        return pool
    titles = {s.n: s.title for s in sources}
    numbers = sorted({c.n for c in pool})
    found = vectors([asked, *(titles[n] for n in numbers), *(c.text for c in pool)])
    to_question = found[1:] @ found[0]
    title_fit = dict(zip(numbers, to_question[: len(numbers)], strict=True))
    best: dict[int, float] = {}
    for c, fit in zip(pool, to_question[len(numbers) :], strict=True):
        best[c.n] = max(best.get(c.n, -1.0), float(fit))
    return [c for c in pool if title_fit[c.n] >= TITLE_FLOOR or best[c.n] >= SOURCE_FLOOR]


def _cited(candidate: Candidate) -> str:
    text = candidate.text.rstrip()
    stop = text[-1] if text[-1] in ".!" else "."
    return f"{text.rstrip('.!')} [{candidate.n}]{stop}"
