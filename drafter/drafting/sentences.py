"""A draft's text as sentences with their place in it: what the evidence check gives a verdict to
and what the app colours (character offsets into the part's text, the explainer heading above)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
# A sentence ends after . ! or ? (and any closing quote, bracket or [n] citation) before a space;
# not after a common abbreviation or an initial ("Dr. Lin", "e.g. rest", "J. Smith").
_END = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])*(?=\s+|$)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|vs|etc|approx|e\.g|i\.e|cf|No|Fig)|(?<![A-Za-z])[A-Z])\.$", re.I
)
_CITATION = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_EMPHASIS = re.compile(r"[*_`]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a part: `text` as written (citations kept), `start`/`end` its offsets in
    the part's text, `heading` the explainer section it stands under ("" outside sections)."""

    part: str
    text: str
    start: int
    end: int
    heading: str = ""

    @property
    def plain(self) -> str:
        """The prose alone: [n] citations and emphasis marks removed, spaces collapsed."""
        return " ".join(_EMPHASIS.sub("", strip_citations(self.text)).split())


def strip_citations(text: str) -> str:
    """`text` without its [n] citations."""
    return _CITATION.sub("", text)


def split(text: str, part: str = "reply") -> list[Sentence]:
    """The sentences of `text` in order; headings are not sentences but name the ones below."""
    out: list[Sentence] = []
    heading = ""
    offset = 0
    for line in text.splitlines(keepends=True):
        here, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        if (found := _HEADING.match(body)) is not None:
            heading = found.group(1)
            continue
        if (bullet := _BULLET.match(body)) is not None:
            skip = bullet.end()
        else:
            skip = len(body) - len(body.lstrip())
        out.extend(_pieces(body, skip, here, part, heading))
    return out


def _pieces(line: str, start: int, base: int, part: str, heading: str) -> list[Sentence]:
    pieces: list[Sentence] = []
    begin = start
    for end in _END.finditer(line, start):
        if _ABBREVIATION.search(line[begin : end.start() + 1]):
            continue
        pieces.extend(_piece(line, begin, end.end(), base, part, heading))
        begin = end.end()
    pieces.extend(_piece(line, begin, len(line), base, part, heading))
    return pieces


def _piece(line: str, begin: int, end: int, base: int, part: str, heading: str) -> list[Sentence]:
    raw = line[begin:end]
    lead = len(raw) - len(raw.lstrip())
    text = raw.strip()
    if not text or not re.search(r"[A-Za-z0-9]", text):
        return []
    first = base + begin + lead
    return [Sentence(part, text, first, first + len(text), heading)]
