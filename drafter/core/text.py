"""Small text helpers every layer uses."""

from __future__ import annotations


def cut(text: str, chars: int) -> str:
    """`text` on one line, cut at a word boundary to at most `chars` characters (… marks a cut)."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rsplit(" ", 1)[0] + "…"
