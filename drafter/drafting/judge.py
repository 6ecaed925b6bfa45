"""The optional LLM judge of the evidence check (`DRAFTER_CHECK_JUDGE`): with a capable backend,
the chat model reads each sentence the embeddings called supported beside the source sentence that
backs it, and a sentence it says the source contradicts becomes `contradicted` (method `llm`).

It can only add marks, never remove one: "supports" and "unrelated" leave the embedding verdict,
and a failed call, a timeout or an unreadable answer leaves every verdict as it was (the failure
is logged and kept in `last_error`). Answers are kept by (sentence, source sentence), so a
re-check after an edit can apply what the judge said before without a model call (`ask=False`)."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from drafter.backends.base import ChatBackend, read_reply
from drafter.core.errors import BackendUnavailableError
from drafter.core.text import json_values
from drafter.drafting.evidence import SentenceCheck
from drafter.drafting.sentences import strip_citations
from prompts import Message, load_prompt

log = logging.getLogger(__name__)

Answer = Literal["supports", "contradicts", "unrelated"]
ANSWERS: frozenset[str] = frozenset({"supports", "contradicts", "unrelated"})
MAX_PAIRS = 24  # one call per page: a long explainer's later sentences keep the embedding verdict
TOKENS_PER_PAIR = 16
_TAG = re.compile(r"<\s*/?\s*pair\b[^>]*>", re.I)


class UnreadableJudgement(ValueError):
    """The model answered, but not with the JSON list the prompt asks for."""


def _plain(text: str) -> str:
    return " ".join(_TAG.sub(" ", strip_citations(text)).split())


def judge_messages(pairs: Sequence[tuple[str, str]]) -> list[Message]:
    """The prompt for (draft sentence, source sentence) pairs, each in its own <pair> block."""
    blocks = [
        f'<pair n="{i}">\nSOURCE: {_plain(source)}\nDRAFT: {_plain(sentence)}\n</pair>'
        for i, (sentence, source) in enumerate(pairs, 1)
    ]
    return load_prompt("judge").render(pairs="\n".join(blocks))


def parse_judgement(reply: str, count: int) -> dict[int, Answer]:
    """Pair number (1-based) -> answer, from the first JSON list of objects in the reply; pairs
    the model skipped or answered with another word are left out. UnreadableJudgement when the
    reply holds no such list."""
    for value in json_values(reply):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out: dict[int, Answer] = {}
            for position, item in enumerate(value, 1):
                verdict = str(item.get("verdict", "")).strip().lower()
                number = item.get("pair", position)
                if verdict in ANSWERS and isinstance(number, int) and 1 <= number <= count:
                    out[number] = verdict  # type: ignore[assignment]
            return out
    raise UnreadableJudgement(f"the judge's reply is not a JSON list: {reply[:80]!r}")


@dataclass
class EvidenceJudge:
    """Asks the chat model about the supported sentences of a check, one call per page."""

    backend: ChatBackend
    timeout: float
    max_pairs: int = MAX_PAIRS
    cache_size: int = 4096
    last_error: str = ""
    _answers: OrderedDict[tuple[str, str], Answer] = field(default_factory=OrderedDict, repr=False)

    def __call__(self, checks: Sequence[SentenceCheck], *, ask: bool = True) -> list[SentenceCheck]:
        """`checks` with the supported sentences the judge reads as contradicted by their
        source marked so. `ask=False` applies only answers given before (no model call)."""
        self.last_error = ""
        keys = {i: _key(c) for i, c in enumerate(checks) if c.verdict == "supported" and c.evidence}
        new = list(dict.fromkeys(k for k in keys.values() if k not in self._answers))
        if ask and new:
            self._ask(new[: self.max_pairs])
        out = list(checks)
        for i, key in keys.items():
            if self._answers.get(key) == "contradicts":
                out[i] = _contradicted(checks[i])
        return out

    def _ask(self, pairs: list[tuple[str, str]]) -> None:
        try:
            reply = read_reply(
                self.backend,
                judge_messages(pairs),
                max_tokens=16 + TOKENS_PER_PAIR * len(pairs),
                timeout=self.timeout,
                what="judgement",
            )
            answers = parse_judgement(reply, len(pairs))
        except (BackendUnavailableError, TimeoutError, UnreadableJudgement) as exc:
            self.last_error = str(exc)
            log.warning("evidence judge skipped: %s", exc)
            return
        for number, answer in answers.items():
            self._answers[pairs[number - 1]] = answer
        while len(self._answers) > self.cache_size:
            self._answers.popitem(last=False)


def _key(check: SentenceCheck) -> tuple[str, str]:
    return _plain(check.text), _plain(check.evidence[0].sentence)


def _contradicted(check: SentenceCheck) -> SentenceCheck:
    source = check.evidence[0].source
    note = f"the model reads source [{source}] as saying otherwise"
    return replace(check, verdict="contradicted", method="llm", note=note, suggested=None)
