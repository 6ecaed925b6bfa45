"""Contradictions an embedding cannot see: a sentence that matches its source sentence but says
another amount, or says the opposite.

A changed dose ("200 mg" for "20 mg") or reversed advice ("should" for "should not") leaves a
sentence the nearest neighbour of its source (cosine 0.9+), so the evidence check would call it
supported. These rules compare the sentence with the source sentence that backs it:
- an amount in a unit (mg, ml, days, weeks, times, %, ...) that replaces one the source gives
  in that unit (the sentence has a value the source lacks, and the source one the sentence
  lacks: "1 to 2 weeks, then 4 to 6 weeks" only adds to "1 to 2 weeks");
- a negation added or removed (not, no, never, n't, non-, without, avoid, ...: one sentence
  has more of them than the other), the two otherwise sharing their content words.
They read only the backing sentence, never the whole source, and say nothing when they cannot
tell (different units, few shared words): a rule, not a judge.
"""

from __future__ import annotations

import re

_NUMBER = r"\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?<![\w.])({_NUMBER})(?:\s*(?:-|–|to)\s*({_NUMBER}))?\s*"
    r"(mg|mcg|µg|micrograms?|milligrams?|grams?|g|kg|ml|millilitres?|milliliters?|l|litres?|"
    r"liters?|%|percent|units?|iu|times|hours?|hrs?|days?|weeks?|months?|years?|minutes?|"
    r"mins?|tablets?|pills?|capsules?|doses?|puffs?|drops?|cm|mm)(?![\w])",
    re.I,
)
_UNITS = {
    "micrograms": "mcg",
    "microgram": "mcg",
    "µg": "mcg",
    "milligrams": "mg",
    "milligram": "mg",
    "grams": "g",
    "gram": "g",
    "millilitres": "ml",
    "millilitre": "ml",
    "milliliters": "ml",
    "milliliter": "ml",
    "litres": "l",
    "litre": "l",
    "liters": "l",
    "liter": "l",
    "percent": "%",
    "hrs": "hour",
    "hr": "hour",
    "mins": "minute",
    "min": "minute",
}
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nor|neither|cannot|without|avoid|avoided|avoiding)\b|n't\b|"
    r"\bnon-",
    re.I,
)
_WORD = re.compile(r"[a-z][a-z'-]+")
_STOP_WORDS = (
    "a an the and or but of to in on at for by with from as is are was were be been being it its "
    "this that these those there their they them he she his her you your we our can could may "
    "might will would should must do does did has have had also very more most less some any "
    "such than then so if when which who what how all each usually often"
)
_STOP = frozenset(_STOP_WORDS.split())
SHARED_WORDS = 0.8  # the share of the longer sentence's content words the two must share
MIN_WORDS = 3  # a sentence with fewer content words is too short to call reversed


def _unit(raw: str) -> str:
    unit = raw.lower()
    unit = _UNITS.get(unit, unit)
    return unit[:-1] if unit.endswith("s") and len(unit) > 2 else unit


def _value(raw: str) -> float:
    return float(raw.replace(",", "."))


def amounts(text: str) -> dict[str, set[float]]:
    """The amounts `text` gives, by unit: "20-40 mg twice a day for 5 days" gives
    {"mg": {20, 40}, "day": {5}}."""
    found: dict[str, set[float]] = {}
    for match in _AMOUNT.finditer(text):
        values = {_value(match.group(1))}
        if match.group(2):
            values.add(_value(match.group(2)))
        found.setdefault(_unit(match.group(3)), set()).update(values)
    return found


def _content(text: str) -> set[str]:
    words = {w.strip("'-") for w in _WORD.findall(_NEGATION.sub(" ", text.lower()))}
    return {w for w in words if len(w) > 2 and w not in _STOP}


def _shown(values: set[float], unit: str) -> str:
    return " or ".join(f"{v:g} {unit}" for v in sorted(values))


def contradiction(claim: str, source: str) -> str | None:
    """Why `claim` contradicts `source`, the sentence that backs it, or None."""
    theirs = amounts(source)
    for unit, values in amounts(claim).items():
        given = theirs.get(unit, set())
        if values - given and given - values:
            return (
                f"says {_shown(values - given, unit)} where its source says "
                f"{_shown(given - values, unit)}"
            )
    if len(_NEGATION.findall(claim)) == len(_NEGATION.findall(source)):
        return None
    mine, other = _content(claim), _content(source)
    if min(len(mine), len(other)) >= MIN_WORDS and len(mine & other) >= SHARED_WORDS * max(
        len(mine), len(other)
    ):
        return "says the opposite of its source (a negation added or removed)"
    return None
