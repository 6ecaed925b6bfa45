"""The drafting pipeline: check → triage → retrieve → prompt → complete → check, for each part.

Stages are plain functions; `draft_page()` runs them in order, streams text to a listener and
times each stage. The output is always a Draft marked as a draft: nothing here sends anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from drafter.backends.base import ChatBackend, GenerationError
from drafter.backends.local_model import BUNDLED
from drafter.core.question import PatientQuestion
from drafter.core.records import Filters
from drafter.core.secrets import scrub
from drafter.core.text import fence
from drafter.drafting.assembled import NOTE as ASSEMBLED
from drafter.drafting.assembled import assemble_explainer
from drafter.drafting.checks import markup_problems, urgency_problems
from drafter.drafting.citations import check_citations
from drafter.drafting.draft import Draft, DraftListener, Part, SilentListener
from drafter.drafting.evidence import EvidenceChecker, SentenceCheck
from drafter.drafting.facts import format_facts
from drafter.drafting.generation import complete_checked
from drafter.drafting.injection import injection_problems
from drafter.drafting.judge import EvidenceJudge
from drafter.drafting.page_check import CHECKED_PARTS, check_page, cite_supported, red_problems
from drafter.drafting.parts import (
    PromptSet,
    clean_instruction,
    doctor_note,
    section_plan,
    urgent_note,
)
from drafter.drafting.sections import format_headings
from drafter.drafting.sources import build_sources
from drafter.drafting.specs import PART_NAMES, PART_SPECS, PageFacts
from drafter.drafting.untrusted import redact
from drafter.triage.findings import Triage
from drafter.triage.stage import detect_red_flags
from knowledge.retrieval import HybridRetriever, check_query

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


def _retrieved_texts(draft: Draft) -> list[str]:
    """Everything retrieval found: a URL the model copied from one of these is not planted."""
    hits = [*draft.similar_qa, *draft.related_faq]
    return [t for h in hits for t in (h.title, h.text, h.metadata.get("answer", ""))] + [
        t for s in draft.sources for t in (s.excerpt, s.facts)
    ]


def draft_page(
    question: PatientQuestion,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    prompts: PromptSet | None = None,
    listener: DraftListener | None = None,
    parts: tuple[Part, ...] = PART_NAMES,
    instruction: str | None = None,
    triage: Callable[[str], Triage] | None = None,
    evidence: EvidenceChecker | None = None,
    judge: EvidenceJudge | None = None,
) -> Draft:
    """The `parts` of a page for one question, each drafted as its row in PART_SPECS says, in
    the table's order. Backend failures end the draft early, keeping the text written.

    `instruction` is the reviewing doctor's request when regenerating ("shorter", "warmer" or
    free text, at most MAX_INSTRUCTION_CHARS); it goes into the reply and explainer prompts.
    `triage` finds the red flags (default: the lexicon and context; `Services.triager` adds the
    semantic layer). `evidence` checks each sentence against the sources (default: a checker on
    the retriever's embedder; `Services.evidence_checker` keeps one, with its cache, per process).
    `judge` reads the supported sentences with a model (default: `llm` when DRAFTER_CHECK_JUDGE
    is on, else none).
    """
    listener = listener or SilentListener()
    prompts = prompts or PromptSet.load()
    checker = evidence or EvidenceChecker(retriever.embedder)
    if judge is None and settings.check_judge:
        judge = EvidenceJudge(llm, timeout=settings.request_timeout)
    text = check_query(question.text, settings.max_question_chars)
    draft = Draft(question=question, model=llm.model_id, instruction=clean_instruction(instruction))
    draft.prompt_versions = {spec.name: prompts[spec.name].ref for spec in PART_SPECS}
    with _stage(draft, "safety", listener):
        draft.red_flags = detect_red_flags(text, triage)
        remote = llm.remote or retriever.embedder.name.startswith("openai")
        outgoing, draft.redactions = redact(text) if remote else (text, [])
    plan = section_plan(text, prompts.explainer, flagged=bool(draft.red_flags))
    draft.section_plan, draft.sections = plan.id, list(plan.headings)
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
    page = PageFacts(question=text, headings=plan.headings, red_flags=tuple(draft.red_flags))
    values = {
        "asker": question.asker,
        "question": fence(outgoing),
        "urgent_note": urgent_note(draft.red_flags),
        "doctor_note": doctor_note(draft.instruction),
        "sections": format_headings(plan.headings),
        "specialty": question.specialty
        or (draft.similar_qa[0].specialty if draft.similar_qa else None)
        or "general practice",
    }
    outputs: dict[str, str] = {}  # what the model wrote, before Drafter's finish (urgent advice)
    for spec in (s for s in PART_SPECS if s.name in parts):
        template = prompts[spec.name]
        if draft.instruction and spec.takes_instruction and "doctor_note" not in template.variables:
            draft.problems.append(
                f"{spec.name}: the instruction was not used ({template.id}@v{template.version} "
                "has no {doctor_note})"
            )
        shown = {**values, "sources": spec.sources.render(draft.sources, settings)}
        if "evidence" in template.variables:  # an evidence-first prompt: the nearest sentences
            shown["evidence"] = format_facts(
                spec.sources.pick(draft.sources, settings),
                text,
                checker.vectors,
                flagged=bool(draft.red_flags),
                k=settings.reply_facts,
            )
        messages = template.render(**{k: shown[k] for k in template.variables})
        with _stage(draft, spec.name, listener):
            assembled = (
                _assembled(draft, plan.headings, text, checker, listener)
                if spec.name == "explainer" and assembles_first(settings, llm)
                else None
            )
            problems: list[str] = []
            if assembled is not None:
                output = assembled
            else:
                try:
                    output, problems = complete_checked(
                        llm, spec, template, messages, page, settings, listener
                    )
                except GenerationError as exc:
                    setattr(draft, spec.name, exc.partial)
                    draft.error = scrub(str(exc))
                    draft.problems.append(f"{spec.name}: interrupted ({draft.error})")
                    return draft
                if problems and spec.name == "explainer":
                    floor = _assembled(draft, plan.headings, text, checker, listener)
                    if floor is not None:
                        draft.problems.append(
                            f"explainer: {ASSEMBLED} (the model's text failed its checks "
                            f"twice: {'; '.join(problems)})"
                        )
                        output, problems = floor, []
        outputs[spec.name] = output
        setattr(draft, spec.name, spec.finish(output, page))
        draft.problems += [f"{spec.name}: {p}" for p in problems]
    draft.problems += urgency_problems(
        {part: getattr(draft, part) for part in parts if part != "title"},
        flagged=bool(draft.red_flags),
        advice=draft.red_flags[0].advice if draft.red_flags else "",
    )
    draft.problems += markup_problems(
        {part: getattr(draft, part) for part in parts}, _retrieved_texts(draft)
    )
    draft.problems += injection_problems(
        outputs,
        text,
        _retrieved_texts(draft),
        prompts=[prompts[s.name].text for s in PART_SPECS if s.name in parts],
    )
    with _stage(draft, "evidence", listener):
        check_evidence(draft, checker, settings, judge)
    with _stage(draft, "citations", listener):
        for spec in (s for s in PART_SPECS if s.cited):
            cited = len(spec.sources.pick(draft.sources, settings))
            draft.citation_issues += check_citations(getattr(draft, spec.name), cited, spec.name)
    return draft


def _assembled(
    draft: Draft,
    headings: tuple[str, ...],
    asked: str,
    checker: EvidenceChecker,
    listener: DraftListener,
) -> str | None:
    """The More Info assembled from the draft's sources (None: they cover too little); the
    draft records that it was, and the listener sees it replace what streamed."""
    article = assemble_explainer(
        headings, draft.sources, asked, checker.vectors, flagged=bool(draft.red_flags)
    )
    if article is not None:
        draft.explainer_origin = "assembled"
        listener.on_stage(f"explainer ({ASSEMBLED})")
        listener.on_token("explainer", article)
    return article


def assembles_first(settings: Settings, llm: ChatBackend) -> bool:
    """Whether the More Info is assembled from the sources before the model is asked:
    `explainer_mode` assembled, or auto with the bundled model (docs/benchmarks.md, "Generated
    or assembled More Info")."""
    if settings.explainer_mode == "auto":
        return llm.model_id == f"local:{BUNDLED.name}"
    return settings.explainer_mode == "assembled"


def check_evidence(
    draft: Draft, checker: EvidenceChecker, settings: Settings, judge: EvidenceJudge | None = None
) -> None:
    """Give each sentence of the reply and explainer its verdict, add the citation of the best
    source where a supported sentence has none (or names the wrong one), and make the sentences
    a doctor must look at first (about the patient, wrong voice, urgency) draft problems."""
    texts = {part: getattr(draft, part) for part in CHECKED_PARTS if getattr(draft, part)}

    def check(parts: dict[str, str], judge: EvidenceJudge | None = None) -> list[SentenceCheck]:
        return check_page(
            parts,
            question=draft.question,
            sources=draft.sources,
            flagged=bool(draft.red_flags),
            checker=checker,
            settings=settings,
            judge=judge,
        )

    cited = cite_supported(texts, check(texts))
    for part, text in cited.items():
        setattr(draft, part, text)
    draft.sentences = check(cited, judge)  # offsets into the text as kept
    draft.problems += red_problems(draft.sentences)
