"""The optional LLM layer (`DRAFTER_TRIAGE_LLM`): the chat model reads the patient's message and
names the categories it sees, quoting the patient's words. Like every layer it only adds: what it
finds joins the other layers' findings, and an empty answer removes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drafter.backends.base import ChatBackend, read_reply
from drafter.core.text import STRAIGHT_QUOTES, cut, fence, json_values
from drafter.triage.categories import Category, categories
from drafter.triage.findings import Finding, Span
from prompts import Message, load_prompt

LLM_CONFIDENCE = 0.7  # below the lexicon's 0.9: a model's reading, not the patient's known words
MAX_TOKENS = 256  # a dozen findings; a reply that runs on is cut, not waited for
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
# Words that say nothing about a symptom: a sentence sharing only these is not the one quoted.
_FILLER = frozenset({
    "a", "an", "and", "are", "at", "be", "been", "but", "for", "had", "has", "have", "he", "her",
    "his", "i", "i'm", "im", "in", "is", "it", "me", "my", "of", "on", "or", "she", "so", "that",
    "the", "this", "to", "was", "with"
})  # fmt: skip


class UnreadableReply(ValueError):
    """The model answered, but not with the JSON list the prompt asks for."""


def category_list() -> str:
    """The categories as the prompt shows them, one `- id: label` line each."""
    return "\n".join(f"- {c.id}: {c.label}" for c in categories().values())


def triage_messages(text: str) -> list[Message]:
    """The prompt for one message: the categories in the system part, the patient's text fenced
    in the user part."""
    return load_prompt("triage").render(categories=category_list(), question=fence(text))


def _findings_list(value: Any) -> list[dict[str, Any]] | None:
    """The list of objects a JSON value is or holds (one object, or an object around a list)."""
    if isinstance(value, dict):
        value = (
            [value]
            if "category" in value
            else next((v for v in value.values() if isinstance(v, list)), None)
        )
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    return None


def parse_reply(reply: str) -> list[tuple[str, str]]:
    """(category as written, the quoted words) from the model's reply: the first list of objects
    in it, fenced or with chatter around it; UnreadableReply when there is none."""
    for value in json_values(reply):
        items = _findings_list(value)
        if items is not None:
            return [(str(i.get("category", "")), str(i.get("words") or "")) for i in items]
    raise UnreadableReply(f"the model's triage reply is not a JSON list: {cut(reply, 80)!r}")


def _complete_list(text: str) -> bool:
    return any(_findings_list(v) is not None for v in json_values(text))


def known_category(name: str) -> Category | None:
    """The category the model meant, by id or label, any case; None for one we do not have."""
    known = categories()
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    by_label = {c.label.lower(): c for c in known.values()}
    return known.get(key) or by_label.get(name.strip().lower())


def _content_words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _FILLER


def locate(words: str, text: str) -> Span | None:
    """Where the quoted words are in the text: verbatim (any case, any spacing), else the
    sentence holding most of their content words (at least half), else None (the model quoted
    nothing that is there)."""
    words, plain = words.translate(STRAIGHT_QUOTES), text.translate(STRAIGHT_QUOTES)
    if not words.split():
        return None
    exact = re.search(r"\s+".join(re.escape(w) for w in words.split()), plain, re.I)
    if exact:
        return exact.start(), exact.end()
    wanted = _content_words(words)
    best: tuple[float, Span] | None = None
    for sentence in _SENTENCE.finditer(plain):
        share = len(wanted & _content_words(sentence.group())) / max(len(wanted), 1)
        if share >= 0.5 and (best is None or share > best[0]):
            part = sentence.group()
            start = sentence.start() + len(part) - len(part.lstrip())
            best = share, (start, sentence.start() + len(part.rstrip()))
    return best[1] if best else None


@dataclass(frozen=True)
class LLMLayer:
    """`text -> findings` by the chat model; a failed call, a timeout or an unreadable reply
    raises (the Triager records it and keeps the other layers' findings).

    `outgoing` is what of the text is sent (identifiers redacted for a remote backend); the
    spans always index the text itself. A finding whose words cannot be found in the text is
    dropped: every flag shows the doctor the patient's own words."""

    backend: ChatBackend
    timeout: float
    outgoing: Callable[[str], str] | None = None

    def __call__(self, text: str) -> list[Finding]:
        reply = self.ask(triage_messages(self.outgoing(text) if self.outgoing else text))
        spans: dict[str, list[Span]] = {}
        for name, words in parse_reply(reply):
            category, span = known_category(name), locate(words, text)
            if category is not None and span is not None:
                spans.setdefault(category.id, []).append(span)
        known = categories()
        return [
            Finding.of(known[c], text, found, confidence=LLM_CONFIDENCE, layer="llm")
            for c, found in spans.items()
        ]

    def ask(self, messages: list[Message]) -> str:
        """The model's reply, read until it holds a whole JSON list; TimeoutError after
        `timeout` seconds (a remote call's own timeout is the same setting)."""
        return read_reply(
            self.backend,
            messages,
            max_tokens=MAX_TOKENS,
            timeout=self.timeout,
            what="triage",
            done=lambda reply, piece: "]" in piece and _complete_list(reply),
        )
