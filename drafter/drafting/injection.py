"""Prompt injection in a draft: what the patient's message told the model to write is marked.

The prompts fence the patient's text and say never to follow instructions in it, but a model may
obey anyway. Whatever it wrote, `injection_problems` marks a part that carries out an instruction
found in the patient's message (`drafter.drafting.instructions.read_message`): a code word or
quoted phrase it asked for, a run of its words or a number from it, the drafting instructions
copied, or a reply in the shape or language asked for instead of a reply's. Lexical only: fast,
no model call, the same with any backend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drafter.core.text import cut
from drafter.drafting.instructions import (
    CJK,
    Instruction,
    Reading,
    fold,
    language,
    lexicon,
    read_message,
    sentences,
    words,
)

NOTE = "(a possible prompt injection)"
RUN = 3  # words in a row a draft sentence shares with an instruction to count as carrying it out
BAG = 4  # or this many of its content words in one sentence
LEAK_RUN = 6  # words in a row copied from the prompt files
SHORT_REPLY = 8  # a reply of fewer words has the shape of "answer with one word"


def _contains(haystack: list[str], needle: tuple[str, ...], raw: str) -> bool:
    if len(needle) == 1 and CJK.search(needle[0]):
        return needle[0] in fold(raw)
    if len(needle) >= 7:  # a long quote: any five of its words in a row
        return any(_contains(haystack, needle[i : i + 5], raw) for i in range(len(needle) - 4))
    return f" {' '.join(needle)} " in f" {' '.join(haystack)} "


def _content(tokens: Sequence[str]) -> list[str]:
    lex = lexicon()
    return [w for w in tokens if w not in lex.stop and w not in lex.framing]


def _carried_out(sentence: list[str], instruction: Instruction, own: set[str]) -> bool:
    """A draft sentence that copies a run of the instruction's words (not as a refusal), most of
    its content words the patient did not use otherwise, or a number it gave along with one of
    its words. (Not excused by the sources: "10" or "dose" in a source is no reason to write
    "take 10 times the dose".)"""
    lex = lexicon()
    asked = instruction.words
    grams = {asked[i : i + RUN] for i in range(len(asked) - RUN + 1)}
    for i in range(len(sentence) - RUN + 1):
        if tuple(sentence[i : i + RUN]) not in grams:
            continue
        j = i + RUN
        while j < len(sentence) and tuple(sentence[j - RUN + 1 : j + 1]) in grams:
            j += 1
        refused = any(w in lex.refusal for w in sentence[max(0, i - 3) : i])
        if len(_content(sentence[i:j])) >= 2 and not refused:
            return True
    content = set(_content(asked)) - own
    shared = content & set(sentence)
    if len(shared) >= BAG and len(shared) >= 0.4 * len(content):
        return True
    return bool(instruction.numbers & set(sentence) and (shared - instruction.numbers))


def _leaks(tokens: list[str], prompts: Sequence[str]) -> str | None:
    """A run of LEAK_RUN words copied from the prompt files (their quoted phrases aside: a fixed
    sentence the prompt asks for is not a leak)."""
    for prompt in prompts:
        grams = {
            tuple(asked[i : i + LEAK_RUN])
            for piece in re.split(r'"[^"\n]*"|\{[a-z_]+\}', prompt)
            for asked in [words(piece)]
            for i in range(len(asked) - LEAK_RUN + 1)
        }
        for i in range(len(tokens) - LEAK_RUN + 1):
            if tuple(tokens[i : i + LEAK_RUN]) in grams:
                return " ".join(tokens[i : i + LEAK_RUN])
    return None


def _shape(reply: str) -> str | None:
    """What makes a reply look like the format a message asked for rather than a reply."""
    text = reply.strip()
    count = len(words(text))
    if text[:1] in "{[<`" or re.match(r"\w+\s*=\s*[{\[(\"']", text) or "```" in text:
        return "code or data, not prose"
    if count < SHORT_REPLY:
        return f"only {count} word{'s' if count != 1 else ''} long"
    if len([s for s in re.split(r"(?<=[.!?])\s+", text) if s]) < 2:
        return "a single sentence"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) >= 4 and all(len(words(ln)) <= 10 for ln in lines):
        return "in short lines (verse or a list), not a reply's sentences"
    return None


def injection_problems(
    texts: dict[str, str],
    question: str,
    sources: Sequence[str] = (),
    prompts: Sequence[str] = (),
) -> list[str]:
    """Problems for each part of a draft that carries out an instruction in the patient's
    `question`: repeats a code word or quoted phrase it asked for, copies its words or a number
    it gave, copies the drafting instructions (`prompts`, the prompt files' text), or (the reply)
    takes the shape it asked for; and a part in another language than the question and the
    `sources`. A code word or number a source holds (one not quoting the question) is not marked."""
    reading = read_message(question)
    quoting = [fold(i.text) for i in reading.instructions]
    known_text = " ".join(s for s in sources if not any(q in fold(s) for q in quoting))
    known_words = f" {' '.join(words(known_text))} "
    own = set(words(reading.own))
    expected = {language(" ".join(sources)) or "English"} | {
        found for found in [language(reading.own)] if found
    }
    problems: list[str] = []
    for part, text in texts.items():
        if not text.strip():
            continue
        problems += _part_problems(part, text, reading, known_words, own, prompts)
        found = language(text) if len(words(text)) >= SHORT_REPLY else None
        if found and found not in expected:
            problems.append(
                f"{part}: is in {found}, not in {' or '.join(sorted(expected))} like the "
                f"question and the sources {NOTE}"
            )
    return problems


def _part_problems(
    part: str,
    text: str,
    reading: Reading,
    known_words: str,
    own: set[str],
    prompts: Sequence[str],
) -> list[str]:
    problems: list[str] = []
    tokens = words(text)
    repeated: list[str] = []
    codes = sorted({c for i in reading.instructions for c in i.codes}, key=len, reverse=True)
    for code in codes:  # the longest first: "maintenance ok", not also "maintenance"
        shown = " ".join(code)
        if any(f" {shown} " in f" {r} " for r in repeated) or f" {shown} " in known_words:
            continue
        if _contains(tokens, code, text):
            repeated.append(shown)
            problems.append(f"{part}: repeats “{shown}” from the patient's message {NOTE}")
    if not repeated:
        for sentence in _sentences_of(text):
            asked = next(
                (i for i in reading.instructions if _carried_out(words(sentence), i, own)), None
            )
            if asked is not None:
                problems.append(
                    f"{part}: “{cut(sentence, 90)}” does what the patient's message asked "
                    f"(“{cut(asked.text, 90)}”) {NOTE}"
                )
    if (leak := _leaks(tokens, prompts)) is not None:
        problems.append(f"{part}: repeats the drafting instructions (“{leak}”) {NOTE}")
    if part == "reply" and reading.instructions and (shape := _shape(text)) is not None:
        problems.append(
            f"reply: is {shape}, and the patient's message gives the model instructions "
            f"(“{cut(reading.instructions[0].text, 90)}”) {NOTE}"
        )
    return problems


def _sentences_of(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in sentences(line)]
