"""Red-flag symptoms in patient text, found before retrieval or any model runs.

The rules are documented in docs/safety.md; each has examples and counter-examples in
tests/triage/test_safety.py. Rules err towards flagging: a false alarm costs a doctor a glance, a
miss can cost a patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEGATION = re.compile(
    r"\b(no|not|never|without|denies|denied|deny|don't have|do not have|haven't had|free of)\b[^.;!?]{0,25}$",
    re.I,
)


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    label: str
    advice: str
    any_of: tuple[re.Pattern[str], ...]
    all_of: tuple[re.Pattern[str], ...] = ()  # every one must also match somewhere


@dataclass(frozen=True)
class RedFlag:
    rule_id: str
    label: str
    advice: str
    matched: str

    def to_json(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "label": self.label, "matched": self.matched}


def _p(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


EMERGENCY = "Please go to the emergency department or call your local emergency number now."

RULES: tuple[RedFlagRule, ...] = (
    RedFlagRule(
        "cauda_equina",
        "Possible cauda equina syndrome",
        EMERGENCY,
        _p(
            r"\bsaddle (area )?(numb|anaesth|anesth)",
            r"numb\w*[^.]{0,40}\b(groin|genital|buttocks|private parts|between (my|the) legs|inner thighs)",
            r"\b(groin|genital|buttocks|bottom|private parts|between (my|the) legs)\b[^.]{0,30}\bnumb",
            r"\b(can'?t|cannot|unable to|trouble|difficulty|problems?)\b[^.]{0,25}\b(pee|urin\w*|passing urine|control (my )?(bladder|bowel))",
            r"\b(lost|loss of|no) (bladder|bowel) control",
            r"\bincontinen",
            r"\bboth legs\b[^.]{0,30}\b(weak|numb|giving way|heavy|wobbly)",
        ),
        _p(r"\b(back|spine|spinal|lumbar|sciatica|disc)\b"),
    ),  # fmt: skip
    RedFlagRule(
        "stroke",
        "Possible stroke",
        EMERGENCY,
        _p(
            r"\b(face|facial|mouth)\b[^.]{0,20}\b(droop|drooping|lopsided|numb)",
            r"\bslurr\w* (speech|words)|\bspeech\b[^.]{0,15}\bslurr",
            r"\bsudden\w*\b[^.]{0,30}\b(weak|numb)\w*[^.]{0,30}\b(one side|left side|right side|arm|leg)",
            r"\b(can'?t|cannot|unable to) (speak|talk|find (my|the) words)",
            r"\bworst headache\b",
            r"\bsudden\w*\b[^.]{0,20}\b(loss of vision|vision loss|blind)",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "limb_weakness",
        "New limb weakness",
        "Please see a doctor today; go to the emergency "
        "department if the weakness is sudden or spreading.",
        _p(
            r"\b(new|sudden\w*|getting|increasing|progressive)\b[^.]{0,25}\bweak\w*[^.]{0,25}\b(arm|leg|hand|foot|feet|legs|arms)\b",
            r"\b(arm|leg|hand|foot|legs|arms)\b[^.]{0,25}\b(gave way|giving way|suddenly weak|went weak)",
            r"\bfoot drop\b",
            r"\bweak\w* and soft\b",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "chest_pain",
        "Chest pain",
        EMERGENCY,
        _p(
            r"\bchest\b[^.]{0,20}\b(pain|tight\w*|pressure|heaviness|crushing|squeez\w*)",
            r"\b(crushing|squeezing|pressure|pain|tightness)\b[^.]{0,30}\bchest",
            r"\bpain\b[^.]{0,40}\b(left arm|jaw)\b[^.]{0,40}\b(sweat|breath|nause)",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "suicidal_thoughts",
        "Suicidal thoughts or self-harm",
        "If you might act on these thoughts, call your local emergency number or a crisis line "
        "now (988 in the US, 116 123 Samaritans in the UK and Ireland) and stay with someone.",
        _p(
            r"\bsuicid",
            r"\bkill(ing)? (myself|me)\b",
            r"\bend(ing)? (my|it all|my own) ?life\b",
            r"\bend it all\b",
            r"\b(don'?t|do not) want to (live|be alive|wake up)",
            r"\bbetter off\b[^.]{0,30}\bdead\b",
            r"\b(want|wanting|wish) (to die|i (was|were) dead)\b",
            r"\bself[- ]harm",
            r"\b(hurt|harm|cut)(ting)? myself\b",
            r"\bno reason to live\b",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "bleeding_in_pregnancy",
        "Bleeding in pregnancy",
        EMERGENCY,
        _p(r"\b(bleed\w*|spotting|blood|clots?)\b"),
        _p(
            r"\b(\d+ weeks? (pregnant|along|gestation)|(i'?m|i am|while|currently|being) pregnant|"
            r"during (my|the) pregnancy|(first|second|third) trimester|pregnant (and|with))\b"
        ),
    ),  # fmt: skip
    RedFlagRule(
        "heavy_bleeding",
        "Heavy bleeding",
        EMERGENCY,
        _p(
            r"\b(heavy|heavily|severe|a lot of|lots of)\b[^.]{0,15}\bbleed",
            r"\bsoak\w*\b[^.]{0,30}\b(pad|pads|tampon)",
            r"\blarge clots\b",
            r"\b(vomit\w*|throw\w* up|coughing up)\b[^.]{0,15}\bblood",
            r"\bcoffee[- ]ground",
            r"\b(black|tarry)\b[^.]{0,10}\b(stool|poo|tarry)",
            r"\bwon'?t stop bleeding\b",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "infant_fever",
        "Fever in a baby under 3 months",
        "A baby under 3 months with a fever needs to be seen by a doctor today, urgently.",
        _p(
            r"\b(\d|1[0-2]) ?(-| )?(day|days|week|weeks|wk)[- ]old\b",
            r"\b(my|our|the) (newborn|neonate)\b|\bnewborn (son|daughter|baby|boy|girl)\b",
            r"\b(one|two|1|2)[- ]months?[- ]old\b",
        ),
        _p(r"\b(fever|febrile|temperature|temp|38(\.\d)? ?°?c?|100\.[4-9]|10[1-5](\.\d)? ?°?f)\b"),
    ),  # fmt: skip
    RedFlagRule(
        "anaphylaxis",
        "Possible anaphylaxis",
        EMERGENCY,
        _p(
            r"\bthroat\b[^.]{0,20}\b(closing|swell\w*|tight)",
            r"\b(lips?|tongue)\b[^.]{0,15}\bswell",
            r"\bswollen (lips?|tongue|face)\b",
            r"\banaphyla",
            r"\bepi-?pen\b",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "breathing",
        "Severe breathing difficulty",
        EMERGENCY,
        _p(
            r"\b(can'?t|cannot|struggling to|hard to|unable to) (breathe|catch my breath)",
            r"\blips\b[^.]{0,15}\b(blue|grey|gray)",
            r"\bgasping\b",
        ),
    ),  # fmt: skip
    RedFlagRule(
        "meningitis",
        "Fever with stiff neck or a rash that does not fade",
        EMERGENCY,
        _p(
            r"\bstiff neck\b",
            r"\bneck\b[^.]{0,15}\bstiff",
            r"\brash\b[^.]{0,40}\b(doesn'?t|does not|won'?t) fade",
            r"\bnon-?blanching\b",
        ),
        _p(r"\b(fever|temperature|febrile)\b"),
    ),  # fmt: skip
    RedFlagRule(
        "overdose",
        "Possible overdose or poisoning",
        EMERGENCY,
        _p(
            r"\boverdos",
            r"\btook (too many|a whole (bottle|pack)|\d{2,} (pills|tablets))",
            r"\bswallowed\b[^.]{0,20}\b(bleach|battery|batteries|poison)",
        ),
    ),  # fmt: skip
)


def _negated(text: str, start: int) -> bool:
    sentence_start = max(text.rfind(".", 0, start), text.rfind("?", 0, start),
                         text.rfind("!", 0, start)) + 1  # fmt: skip
    return bool(_NEGATION.search(text[sentence_start:start]))


def _first_match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if not _negated(text, match.start()):
                return match
    return None


def detect_red_flags(text: str) -> list[RedFlag]:
    """Every rule the text triggers, with the words that triggered it, in rule order."""
    flags = []
    for rule in RULES:
        match = _first_match(rule.any_of, text)
        if match is None or any(_first_match((p,), text) is None for p in rule.all_of):
            continue
        flags.append(RedFlag(rule.id, rule.label, rule.advice, match.group(0).strip()))
    return flags
