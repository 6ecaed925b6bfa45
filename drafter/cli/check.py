"""`drafter check`: the evidence check of a reply (and explainer) someone wrote or edited, against
the sources `drafter draft` would retrieve, or those a stored version was drafted from."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from drafter.cli.registry import command
from drafter.core.errors import InputError
from drafter.core.question import PatientQuestion

if TYPE_CHECKING:
    from drafter.drafting.evidence import SentenceCheck
    from drafter.drafting.sources import Source
    from drafter.services import Services

_MARK = {
    "about_the_patient": "!! about the patient",
    "wrong_voice": "!! wrong voice",
    "urgency_mismatch": "!! urgency",
    "contradicted": "!! contradicts its source",
    "wrong_citation": " ! wrong citation",
    "unsupported": " ? unsupported",
    "general": "   general",
    "supported": "   supported",
}


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="?", help="the patient's question (or --question-id)")
    p.add_argument("--reply", help="the reply to check")
    p.add_argument("--explainer", help="the More Info article to check")
    p.add_argument(
        "--question-id",
        type=int,
        help="a question in the inbox: its text, and the numbered sources of its newest version "
        "(the reply and explainer of that version unless given)",
    )
    p.add_argument("--age", help="asker's age group, e.g. 70-79")
    p.add_argument("--sex", help="asker's sex: female, male, other")
    p.add_argument("--specialty", help="restrict sources to this specialty")
    p.add_argument("--json", action="store_true", help="the `sentences` list as JSON")


@command(
    "check",
    help="check each sentence of a reply against the sources and the patient's question",
    description="Gives every sentence of --reply (and --explainer) a verdict: about_the_patient "
    "(a fact about the patient the question does not contain), wrong_voice, urgency_mismatch, "
    "contradicted (another amount or the opposite of its source sentence), wrong_citation, "
    "unsupported, general or supported, with the source sentence that backs it "
    "and its score. Sources are retrieved as `drafter draft` would, or, with --question-id, are "
    "those the question's newest version was drafted from. Embeddings only, no model call, "
    "unless DRAFTER_CHECK_JUDGE is on (then the model may add contradicted marks). "
    "Exit code 0 whatever the verdicts; the ones to check are marked !! (first) and ! or ?.",
    arguments=_check_arguments,
)
def cmd_check(args: argparse.Namespace, services: Services) -> int:
    from drafter.drafting.page_check import check_page
    from drafter.drafting.sources import build_sources

    texts = {"reply": args.reply or "", "explainer": args.explainer or ""}
    if args.question_id is not None:
        question, sources, flagged, stored = _stored(services, args.question_id)
        texts = {part: texts[part] or stored[part] for part in texts}
    else:
        if not args.question:
            raise InputError("give the patient's QUESTION (or --question-id N)")
        question = PatientQuestion.create(args.question, args.age, args.sex, args.specialty)
        flagged = bool(services.triager()(question.text).findings)
        s = services.settings
        result = services.retriever().page(question.text, k=s.similar_k, m=s.faq_k)
        sources = build_sources(result, qa=3, faq=2, chars=s.source_chars)
    if not any(t.strip() for t in texts.values()):
        raise InputError("nothing to check: give --reply (and/or --explainer)")
    checks = check_page(
        texts,
        question=question,
        sources=sources,
        flagged=flagged,
        checker=services.evidence_checker(),
        settings=services.settings,
        judge=services.evidence_judge(),
    )
    if args.json:
        print(json.dumps({"sentences": [c.to_json() for c in checks]}, indent=2))
    else:
        print(_show(checks, sources))
    return 0


def _stored(
    services: Services, question_id: int
) -> tuple[PatientQuestion, list[Source], bool, dict[str, str]]:
    from drafter.drafting.sources import Source

    workflow = services.workflow()
    question = workflow.question(question_id)
    version = workflow.latest(question_id)
    if version is None:
        raise InputError(f"question {question_id} has no draft yet: draft it first")
    sources = [Source.from_json(s) for s in version.details.get("sources", [])]
    stored = {"reply": version.reply, "explainer": version.explainer}
    return PatientQuestion.of(question), sources, bool(question.red_flags), stored


def _show(checks: list[SentenceCheck], sources: list[Source]) -> str:
    titles = {s.n: s.title for s in sources}
    lines = []
    for c in checks:
        lines.append(f"{_MARK[c.verdict]:<22} [{c.part}] {c.text}")
        if c.note:
            lines.append(f"{'':22} {c.note}")
        for e in c.evidence[:1]:
            lines.append(
                f"{'':22} [{e.source}] {titles.get(e.source, '')}: “{e.sentence}” ({e.score:.2f})"
            )
    to_check = sum(c.to_check for c in checks)
    lines.append(f"{len(checks)} sentences, {to_check} to check")
    return "\n".join(lines)
