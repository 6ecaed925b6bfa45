"""Patient text is untrusted: identifiers redacted before it leaves the machine (fencing it as
data is drafter.core.text's `fence`, shared with triage, a lower layer)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["IDENTIFIERS", "Redaction", "redact"]


@dataclass(frozen=True)
class Redaction:
    kind: str
    original: str
    replacement: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "original": self.original, "replacement": self.replacement}


_NAME = r"[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}"
IDENTIFIERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "phone",
        re.compile(
            r"(?<!\w)(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{2,4}\)?[\s.-]?)?\d{3,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?!\w)"
        ),
    ),
    ("id_number", re.compile(r"\b(?:\d{3}-\d{2}-\d{4}|[A-Z]{1,2}\d{6,10}|\d{9,12})\b")),
    (
        "address",
        re.compile(
            r"\b\d{1,5} (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct)\b"
        ),
    ),
    ("name", re.compile(rf"(?i:\b(?:my name is|i am called|this is|i'?m called)\s+)({_NAME})")),
    ("name", re.compile(rf"(?:\b(?:Mr|Mrs|Ms|Miss|Dr)\.? )({_NAME})")),
    (
        "name",
        re.compile(
            rf"(?im:^\s*(?:regards|thanks|thank you|best|sincerely),?\s*\n\s*)({_NAME})\s*$"
        ),
    ),
)


def redact(text: str) -> tuple[str, list[Redaction]]:
    """Replace names, phone numbers, e-mail addresses, ID numbers and street addresses."""
    found: list[Redaction] = []
    counters: dict[str, int] = {}

    def substitute(kind: str, match: re.Match[str]) -> str:
        group = 1 if match.re.groups else 0
        original = match.group(group)
        counters[kind] = counters.get(kind, 0) + 1
        replacement = f"[{kind.upper()}_{counters[kind]}]"
        found.append(Redaction(kind, original, replacement))
        whole = match.group(0)
        return whole.replace(original, replacement) if group else replacement

    for kind, pattern in IDENTIFIERS:
        text = pattern.sub(functools.partial(substitute, kind), text)
    return text, found
