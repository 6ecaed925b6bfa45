"""Generation: stream a completion a sentence at a time, check it, retry once knowing why."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from drafter.backends.base import ChatBackend, GenerationError
from drafter.drafting.checks import repetition_problem
from drafter.drafting.draft import DraftListener
from drafter.drafting.echo import echo_problem, instructions, without_echo
from drafter.drafting.specs import PageFacts, PartSpec
from prompts import Message, PromptTemplate

if TYPE_CHECKING:
    from drafter.core.settings import Settings

_SENTENCE_END = re.compile(r"[.!?\n]")


def generate(
    backend: ChatBackend,
    messages: list[Message],
    *,
    max_tokens: int,
    temperature: float,
    on_text: Callable[[str], None],
) -> str:
    """Stream one completion, a sentence at a time: each sentence is passed on once it is known
    not to repeat the text before it. At the first repeat the stream is closed and that sentence
    dropped, so a small model's runaway loop costs one sentence instead of the whole token budget
    (measured: 320 tokens and 12-15 s of one sentence written 35 times), the text before the loop
    is kept, and what was streamed is always the text returned."""
    kept, pending = "", ""
    try:
        for piece in backend.stream(messages, max_tokens=max_tokens, temperature=temperature):
            pending += piece
            ends = [m.end() for m in _SENTENCE_END.finditer(piece)]
            if not ends:
                continue
            cut = len(pending) - len(piece) + ends[-1]  # up to the piece's last sentence end
            if repetition_problem(kept + pending[:cut]):
                pending = ""
                break
            on_text(pending[:cut])
            kept, pending = kept + pending[:cut], pending[cut:]
    except GenerationError:
        if pending:  # the partial text the error carries is everything streamed
            on_text(pending)
        raise
    if pending:
        on_text(pending)
    return (kept + pending).strip()


def complete_checked(
    llm: ChatBackend,
    spec: PartSpec,
    template: PromptTemplate,
    messages: list[Message],
    page: PageFacts,
    settings: Settings,
    listener: DraftListener,
) -> tuple[str, list[str]]:
    """Generate a part, cleaned; if it fails its checks, try once more a little warmer, telling
    the model what was wrong when the template has a retry part. Sentences copying the
    instructions are cut from what is kept."""
    output, problems = "", list[str]()
    prompt = instructions(messages)
    for attempt in range(2):
        if attempt:
            listener.on_stage(f"{spec.name} (retry: {'; '.join(problems)})")
        output = spec.clean(
            generate(
                llm,
                template.retry_messages(messages, problems) if attempt else messages,
                max_tokens=spec.max_tokens(settings),
                temperature=settings.temperature + 0.3 * attempt,
                on_text=lambda t: listener.on_token(spec.name, t),
            )
        )
        problems = spec.check(output, page)
        if (echo := echo_problem(output, prompt)) is not None:
            problems.append(echo)
        if not problems:
            break
    kept = without_echo(output, prompt)
    if kept != output:  # what is left is checked again: the copy is gone, not the problem
        problems = spec.check(kept, page)
    return kept, problems
