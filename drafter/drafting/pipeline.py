"""The drafting pipeline: check → triage → retrieve → prompt → complete → check, for each part.

Stages are plain functions; `draft_page()` runs them in order, streams text to a listener and
times each stage. The output is always a Draft marked as a draft: nothing here sends anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from drafter.backends.base import ChatBackend, GenerationError
from drafter.core.question import PatientQuestion
from drafter.core.records import Filters
from drafter.drafting.checks import check_explainer, check_reply, check_title, clean_title
from drafter.drafting.citations import check_citations
from drafter.drafting.draft import Draft, DraftListener, Part, SilentListener
from drafter.drafting.generation import complete_checked
from drafter.drafting.parts import (
    TITLE_MAX_TOKENS,
    PromptSet,
    clean_instruction,
    doctor_note,
    section_plan,
    urgent_note,
    with_urgent_sentence,
)
from drafter.drafting.sections import format_headings
from drafter.drafting.sources import build_sources, format_sources
from drafter.drafting.untrusted import fence, redact
from drafter.triage.red_flags import detect_red_flags
from knowledge.retrieval import HybridRetriever, check_query
from prompts import PromptTemplate

if TYPE_CHECKING:
    from drafter.core.settings import Settings


@contextmanager
def _stage(draft: Draft, name: str, listener: DraftListener) -> Iterator[None]:
    listener.on_stage(name)
    started = time.perf_counter()
    try:
        yield
    finally:
        draft.timings[name] = draft.timings.get(name, 0.0) + time.perf_counter() - started


def draft_page(
    question: PatientQuestion,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    prompts: PromptSet | None = None,
    listener: DraftListener | None = None,
    parts: tuple[Part, ...] = ("title", "reply", "explainer"),
    instruction: str | None = None,
) -> Draft:
    """Every part of a page for one question. Backend failures end the draft early, keeping text.

    `instruction` is the reviewing doctor's request when regenerating ("shorter", "warmer" or
    free text, at most MAX_INSTRUCTION_CHARS); it goes into the reply and explainer prompts.
    """
    listener = listener or SilentListener()
    prompts = prompts or PromptSet.load()
    text = check_query(question.text, settings.max_question_chars)
    draft = Draft(question=question, model=llm.model_id, instruction=clean_instruction(instruction))
    plan = section_plan(text, prompts.explainer)
    draft.section_plan, draft.sections = plan.id, list(plan.headings)
    draft.prompt_versions = {
        "title": prompts.title.ref,
        "reply": prompts.reply.ref,
        "explainer": prompts.explainer.ref,
    }
    with _stage(draft, "safety", listener):
        draft.red_flags = detect_red_flags(text)
        remote = llm.remote or retriever.embedder.name.startswith("openai")
        outgoing, draft.redactions = redact(text) if remote else (text, [])
    with _stage(draft, "retrieve", listener):
        filters = Filters(specialty=question.specialty, age_group=None, sex=None)
        result = retriever.page(
            outgoing,
            filters=filters if question.specialty else None,
            k=settings.similar_k,
            m=settings.faq_k,
        )
        draft.similar_qa, draft.related_faq = result.similar_qa, result.related_faq
        draft.sources = build_sources(result, qa=3, faq=2, chars=settings.source_chars)
    # The short reply gets the top sources, shorter: prompt size drives time to first token.
    reply_sources = draft.sources[: settings.reply_sources]
    values = {
        "sources": format_sources(draft.sources),
        "reply_sources": format_sources(reply_sources, settings.reply_source_chars),
        "asker": question.asker,
        "question": fence(outgoing),
        "urgent_note": urgent_note(draft.red_flags),
        "doctor_note": doctor_note(draft.instruction),
        "sections": format_headings(plan.headings),
        "specialty": question.specialty
        or (draft.similar_qa[0].specialty if draft.similar_qa else None)
        or "general practice",
    }
    steps: list[tuple[Part, PromptTemplate, int, Callable[[str], list[str]]]] = [
        ("title", prompts.title, TITLE_MAX_TOKENS, check_title),
        ("reply", prompts.reply, settings.reply_max_tokens, partial(check_reply, question=text)),
        (
            "explainer",
            prompts.explainer,
            settings.explainer_max_tokens,
            partial(check_explainer, headings=plan.headings),
        ),
    ]
    for part, template, max_tokens, check in steps:
        if part not in parts:
            continue
        wanted = {
            k: values["reply_sources" if (part, k) == ("reply", "sources") else k]
            for k in template.variables
        }
        if draft.instruction and part != "title" and "doctor_note" not in template.variables:
            draft.problems.append(
                f"{part}: the instruction was not used ({template.id}@v{template.version} "
                "has no {doctor_note})"
            )
        messages = template.render(**wanted)
        with _stage(draft, part, listener):
            try:
                output, problems = complete_checked(
                    llm, template, messages, part, max_tokens, settings.temperature, check, listener
                )
            except GenerationError as exc:
                setattr(draft, part, exc.partial)
                draft.error = str(exc)
                draft.problems.append(f"{part}: interrupted ({exc})")
                return draft
        if part == "title":
            output = clean_title(output)
        if part == "reply":
            output = with_urgent_sentence(output, draft.red_flags)
        setattr(draft, part, output)
        draft.problems += [f"{part}: {p}" for p in problems]
    with _stage(draft, "citations", listener):
        draft.citation_issues = check_citations(
            draft.reply, len(reply_sources), "reply"
        ) + check_citations(draft.explainer, len(draft.sources), "explainer")
    return draft
