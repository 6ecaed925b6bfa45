"""Prompt text never reaches a draft: a sentence of the output that copies a run of words from
the instructions (the system prompt, the task, the urgent and doctor notes; not the patient's
question, not the sources) is found and cut (seen: "URGENT: the question mentions warning
signs... The reply must first tell the patient..." inside a reply)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from drafter.drafting.sentences import split
from prompts import Message

RUN = 8  # words in a row shared with the instructions that make a sentence a copy of them
_QUESTION = re.compile(r"<patient_question>.*?</patient_question>", re.S)
_SOURCE_LINE = re.compile(r"^\s*\[\d+\].*$", re.M)
_WORD = re.compile(r"[a-z0-9']+")


def instructions(messages: Sequence[Message]) -> str:
    """The prompt's own words: every message with the patient's question and sources cut out."""
    return "\n".join(
        _SOURCE_LINE.sub("", _QUESTION.sub("", m.content))
        for m in messages
        if m.role in ("system", "user")
    )


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def echoed(text: str, prompt: str) -> list[str]:
    """The sentences of `text` that copy RUN words in a row of the instructions `prompt`."""
    known = _runs(prompt)
    return [s.text for s in split(text) if _runs(s.text) & known]


def echo_problem(text: str, prompt: str) -> str | None:
    found = echoed(text, prompt)
    if not found:
        return None
    shown = found[0] if len(found[0]) <= 60 else found[0][:57] + "…"
    return f"copies the instructions (“{shown}”)"


def without_echo(text: str, prompt: str) -> str:
    """`text` with the sentences copying the instructions cut out."""
    out = text
    for sentence in echoed(text, prompt):
        out = out.replace(sentence, "", 1)
    return re.sub(r"[ \t]{2,}", " ", re.sub(r"\n{3,}", "\n\n", out)).strip()
