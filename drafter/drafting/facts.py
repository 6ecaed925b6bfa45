"""The few source sentences an evidence-first prompt shows the short reply, each with its [n].

A small model copies what it is shown. Instead of the first characters of each source (a past
answer's greeting, its patient's age and history), an evidence-first prompt (a template with an
`{evidence}` variable) gets the sentences of the reply's sources that are nearest the question,
by the same embedding the evidence check uses, and only those the assembled More Info may use:
none stating another patient's facts, none in the wrong voice, none of a past answer's words to
its own patient, no emergency advice unless triage flagged the question.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache

import numpy as np

from drafter.drafting.assembled import Candidate, Vectors, candidates, on_topic
from drafter.drafting.sources import Source
from prompts import PROMPTS_DIR, PromptError

TEXTS_FILE = PROMPTS_DIR / "short_reply" / "facts.toml"

MIN_FIT = 0.25  # a sentence further than this from the question is not evidence for the reply


def relevant_facts(
    sources: Sequence[Source], asked: str, vectors: Vectors, *, flagged: bool, k: int
) -> list[Candidate]:
    """Up to `k` usable source sentences, nearest the question first (`asked`: the patient's
    text; `flagged`: triage found a red flag)."""
    pool = on_topic(candidates(sources, asked, flagged=flagged), sources, asked, vectors)
    if not pool or k < 1:
        return []
    found = vectors([asked, *(c.text for c in pool)])
    fit = found[1:] @ found[0]
    order = [int(i) for i in np.argsort(-fit, kind="stable") if fit[i] >= MIN_FIT]
    return [pool[i] for i in order[:k]]


@cache
def no_facts() -> str:
    """What the block says when no source sentence fits (prompts/short_reply/facts.toml)."""
    try:
        return str(tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))["none"]).strip()
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise PromptError(f'{TEXTS_FILE}: needs none = "..." ({exc})') from None


def format_facts(
    sources: Sequence[Source], asked: str, vectors: Vectors, *, flagged: bool, k: int
) -> str:
    """The `{evidence}` block: one "[n] sentence" line per fact, or `no_facts()` when no
    sentence fits (an unrelated past answer is not shown: a small model copies it)."""
    facts = relevant_facts(sources, asked, vectors, flagged=flagged, k=k)
    if not facts:
        return no_facts()
    return "\n".join(f"[{c.n}] {c.text}" for c in facts)
