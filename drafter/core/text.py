"""Small text helpers every layer uses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

FENCE_TAG = "patient_question"
_FENCE = re.compile(rf"<\s*/?\s*{FENCE_TAG}\s*>", re.I)
# Phones type curly quotes ("can’t"); patterns are written with straight ones. Same length, so a
# span found in the straightened text indexes the original.
STRAIGHT_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def cut(text: str, chars: int) -> str:
    """`text` on one line, cut at a word boundary to at most `chars` characters (… marks a cut)."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rsplit(" ", 1)[0] + "…"


def fence(text: str) -> str:
    """Patient text made safe to place between <patient_question> tags: it cannot close them."""
    return _FENCE.sub("[tag removed]", text)


def json_values(reply: str) -> Iterator[Any]:
    """Every JSON value that starts at a `[` or `{` of a model's reply, in order (fences and
    chatter around them are skipped)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", reply):
        try:
            yield decoder.raw_decode(reply, match.start())[0]
        except ValueError:
            continue
