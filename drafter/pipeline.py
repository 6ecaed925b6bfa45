"""The drafting pipeline: check → retrieve → prompt → complete → check, for each part of a page.

Stages are plain functions; `draft()` runs them in order, streams text to a listener and times
each stage. The output is always a Draft marked as a draft: nothing here sends anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Literal, Protocol

from drafter.checks import (
    check_explainer,
    check_reply,
    check_title,
    clean_title,
    repetition_problem,
)
from drafter.citations import CitationIssue, check_citations
from drafter.errors import InputError
from drafter.llm import ChatBackend, GenerationError
from drafter.models import Filters, Hit, Kind, SearchResult
from drafter.safety import Redaction, RedFlag, detect_red_flags, fence, redact
from drafter.sections import SectionPlan, choose_plan, fallback_plan, format_headings
from knowledge.retrieval import HybridRetriever, check_query
from prompts import Message, PromptTemplate, load_prompt

if TYPE_CHECKING:
    from drafter.settings import Settings

DRAFT_MARKER = "DRAFT - not reviewed or approved by a doctor"
CANNOT_ANSWER = "I cannot answer this from the available sources."
MAX_INSTRUCTION_CHARS = 200
_GREETING = re.compile(r"^\s*(hello|hi|dear [^,]{0,40})\s*[,!.]\s*", re.I)
Part = Literal["title", "reply", "explainer"]


class DraftListener(Protocol):
    """What the CLI and the UI implement to show progress and live text."""

    def on_stage(self, stage: str) -> None: ...

    def on_token(self, part: str, text: str) -> None: ...


class SilentListener:
    def on_stage(self, stage: str) -> None:
        pass

    def on_token(self, part: str, text: str) -> None:
        pass


@dataclass(frozen=True)
class PatientQuestion:
    text: str
    age_group: str | None = None
    sex: str | None = None
    specialty: str | None = None

    @property
    def asker(self) -> str:
        who = " ".join(
            p for p in (f"{self.age_group} year old" if self.age_group else "", self.sex or "") if p
        )
        return who or "age and sex not given"


@dataclass(frozen=True)
class Source:
    """One retrieved item as numbered in the prompt; citations [n] point here."""

    n: int
    id: str
    kind: Kind
    title: str
    excerpt: str
    specialty: str | None
    facts: str = ""  # the answer (Q&A) or article text alone: what the short reply is shown

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "specialty": self.specialty,
            "excerpt": self.excerpt,
        }


@dataclass
class Draft:
    question: PatientQuestion
    title: str = ""
    reply: str = ""
    explainer: str = ""
    similar_qa: list[Hit] = field(default_factory=list)
    related_faq: list[Hit] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    citation_issues: list[CitationIssue] = field(default_factory=list)
    red_flags: list[RedFlag] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    section_plan: str = ""
    sections: list[str] = field(default_factory=list)
    instruction: str | None = None
    problems: list[str] = field(default_factory=list)
    model: str = ""
    prompt_versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    marker: str = DRAFT_MARKER

    @property
    def cannot_answer(self) -> bool:
        """The model said the sources do not cover the question (the fixed phrase)."""
        return CANNOT_ANSWER.lower() in f"{self.reply}\n{self.explainer}".lower()

    @property
    def status(self) -> str:
        return "complete" if not self.problems and self.error is None else "incomplete"

    def to_json(self) -> dict[str, object]:
        return {
            "marker": self.marker,
            "status": self.status,
            "cannot_answer": self.cannot_answer,
            "title": self.title,
            "reply": self.reply,
            "explainer": self.explainer,
            "similar_qa": [_hit_json(h) for h in self.similar_qa],
            "related_faq": [_hit_json(h) for h in self.related_faq],
            "sources": [s.to_json() for s in self.sources],
            "citation_issues": [i.to_json() for i in self.citation_issues],
            "red_flags": [f.to_json() for f in self.red_flags],
            "redactions": [r.to_json() for r in self.redactions],
            "section_plan": self.section_plan,
            "sections": self.sections,
            "instruction": self.instruction,
            "problems": self.problems,
            "error": self.error,
            "model": self.model,
            "prompt_version": self.prompt_versions,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "question": {
                "text": self.question.text,
                "age_group": self.question.age_group,
                "sex": self.question.sex,
                "specialty": self.question.specialty,
            },
        }


def _hit_json(hit: Hit) -> dict[str, object]:
    """A hit as the page shows it: the search JSON plus doctor and excerpts."""
    return {
        **hit.to_json(),
        "doctor": hit.metadata.get("doctor"),
        "excerpt": hit.excerpt(200),
        "answer_excerpt": _cut(hit.metadata.get("answer", ""), 200),
    }


def _cut(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rsplit(" ", 1)[0] + "…"


# --- stages -------------------------------------------------------------------------------------


def build_sources(result: SearchResult, *, qa: int, faq: int, chars: int) -> list[Source]:
    """Number the top Q&As, then the top FAQ articles, with short excerpts for the prompt."""
    picked: list[Source] = []
    for hit in result.similar_qa[:qa]:
        answer = hit.metadata.get("answer", "")
        text = f"Question: {_cut(hit.text, chars // 2)} Doctor's answer: {_cut(answer, chars)}"
        picked.append(Source(len(picked) + 1, hit.id, "qa", hit.title, text, hit.specialty, answer))
    for hit in result.related_faq[:faq]:
        excerpt = _cut(hit.text, chars)
        picked.append(
            Source(len(picked) + 1, hit.id, "faq", hit.title, excerpt, hit.specialty, hit.text)
        )
    return picked


def format_sources(sources: list[Source], chars: int | None = None) -> str:
    """The numbered source block of a prompt.

    With `chars` (the short reply) each source is its facts alone (the past answer without its
    question, title or greeting) cut to that length: a short prompt answers sooner.
    """
    if not sources:
        return "(no sources found)"
    if chars:
        return "\n".join(
            f"[{s.n}] {_cut(_GREETING.sub('', s.facts or s.excerpt), chars)}" for s in sources
        )
    return "\n".join(f"[{s.n}] {s.title}: {s.excerpt}" for s in sources)


def urgent_note(flags: list[RedFlag]) -> str:
    if not flags:
        return ""
    labels = "; ".join(f.label for f in flags)
    return (
        f"URGENT: the question mentions warning signs ({labels}). The reply must first tell "
        "the patient to seek urgent care now.\n\n"
    )


def clean_instruction(instruction: str | None) -> str | None:
    """The reviewing doctor's request on one line; over MAX_INSTRUCTION_CHARS is refused."""
    text = " ".join((instruction or "").split())
    if len(text) > MAX_INSTRUCTION_CHARS:
        raise InputError(
            f"the instruction is {len(text)} characters; the limit is {MAX_INSTRUCTION_CHARS}"
        )
    return text or None


TITLE_MAX_TOKENS = 40


def doctor_note(instruction: str | None) -> str:
    """The doctor's request as a labelled line; unlike the patient's text it is to be followed."""
    if not instruction:
        return ""
    return f"The reviewing doctor asks (a trusted instruction; keep the rules): {instruction}\n\n"


def section_plan(text: str, explainer: PromptTemplate) -> SectionPlan:
    """The plan chosen for the question; a template without {sections} asks for the fallback's."""
    return choose_plan(text) if "sections" in explainer.variables else fallback_plan()


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


def with_urgent_sentence(reply: str, flags: list[RedFlag]) -> str:
    """A flagged question's reply always starts with the urgent-care advice of its first rule."""
    if not flags:
        return reply
    advice = flags[0].advice
    return reply if advice.lower() in reply.lower() else f"{advice} {reply}".strip()


# --- the pipeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptSet:
    title: PromptTemplate
    reply: PromptTemplate
    explainer: PromptTemplate

    @classmethod
    def load(cls, versions: dict[str, int] | None = None) -> PromptSet:
        v = versions or {}
        return cls(
            load_prompt("title", v.get("title")),
            load_prompt("short_reply", v.get("reply")),
            load_prompt("explainer", v.get("explainer")),
        )


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
                output, problems = _complete_checked(
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


def _complete_checked(
    llm: ChatBackend,
    template: PromptTemplate,
    messages: list[Message],
    part: str,
    max_tokens: int,
    temperature: float,
    check: Callable[[str], list[str]],
    listener: DraftListener,
) -> tuple[str, list[str]]:
    """Generate; if the output fails its checks, try once more a little warmer, telling the model
    what was wrong when the template has a retry part."""
    output, problems = "", list[str]()
    for attempt in range(2):
        if attempt:
            listener.on_stage(f"{part} (retry: {'; '.join(problems)})")
        output = generate(
            llm,
            template.retry_messages(messages, problems) if attempt else messages,
            max_tokens=max_tokens,
            temperature=temperature + 0.3 * attempt,
            on_text=lambda t: listener.on_token(part, t),
        )
        problems = check(clean_title(output) if part == "title" else output)
        if not problems:
            break
    return output, problems
