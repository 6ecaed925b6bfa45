"""`drafter eval`: draft every question of a held-out set, then score the drafts.

Two stages. Drafting appends each finished item to `DIR/drafts.jsonl` as it lands, so an
interrupted run resumes where it stopped (items that failed are drafted again). Scoring embeds
the drafts' sentences, the sources they were given, the references and the gold statements with
the settings' embedder and applies drafter.measures. The report is `aggregate` + `items`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drafter import __version__
from drafter.core.errors import DrafterError, InputError
from drafter.core.progress import NoProgress, Progress
from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Part
from drafter.drafting.parts import PromptSet
from drafter.drafting.pipeline import draft_page
from drafter.evaluation import measures
from drafter.evaluation.sets import EvalItem, EvalSet

if TYPE_CHECKING:
    from drafter.backends.base import ChatBackend
    from drafter.core.settings import Settings
    from knowledge.embeddings import Embedder
    from knowledge.retrieval import HybridRetriever

PARTS: tuple[Part, ...] = ("title", "reply", "explainer")
DRAFTS_FILE = "drafts.jsonl"
ANSWER_MARK = "Doctor's answer:"
# Settings that change what is drafted: recorded with the run, so a resume never mixes two.
DRAFTING_SETTINGS = (
    "temperature",
    "reply_max_tokens",
    "explainer_max_tokens",
    "source_chars",
    "reply_sources",
    "reply_source_chars",
    "similar_k",
    "faq_k",
    "dense_weight",
    "lexical_weight",
    "rrf_k",
)


# --- what to run --------------------------------------------------------------------------------


def parse_parts(text: str) -> tuple[Part, ...]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in chosen if p not in PARTS]
    if bad or not chosen:
        raise InputError(f"--parts takes a list of {', '.join(PARTS)}; got {text!r}")
    return tuple(p for p in PARTS if p in chosen)


# --- drafting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftRecord:
    """One finished item: the draft as JSON, the wall time, and how many sources the reply saw."""

    id: str
    draft: dict[str, Any]
    seconds: float
    reply_sources: int

    @property
    def error(self) -> str | None:
        return self.draft.get("error")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seconds": round(self.seconds, 3),
            "reply_sources": self.reply_sources,
            "draft": self.draft,
        }


def draft_item(
    item: EvalItem,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    prompts: PromptSet,
    parts: tuple[Part, ...] = PARTS,
) -> DraftRecord:
    """Draft one question; a refused question or a failing backend is recorded, not raised."""
    started = time.perf_counter()
    question = PatientQuestion.of(item)
    try:
        draft = draft_page(
            question, retriever=retriever, llm=llm, settings=settings, prompts=prompts, parts=parts
        )
        data = draft.to_json()
        reply_sources = min(settings.reply_sources, len(draft.sources))
    except DrafterError as exc:
        data, reply_sources = {"error": str(exc), "status": "incomplete"}, 0
    return DraftRecord(item.id, data, time.perf_counter() - started, reply_sources)


def read_drafts(path: Path, run: dict[str, Any]) -> dict[str, DraftRecord]:
    """Finished items of an earlier run with the same settings; another run's file is refused."""
    if not path.exists():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    header = json.loads(lines[0]).get("run") if lines else None
    if header != run:
        raise InputError(
            f"{path} holds drafts of another run ({header}); use another --out or add --fresh"
        )
    done: dict[str, DraftRecord] = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a killed run may be cut short
        record = DraftRecord(row["id"], row["draft"], row["seconds"], row["reply_sources"])
        if record.error is None:
            done[record.id] = record
    return done


def draft_all(
    items: Sequence[EvalItem],
    draft_one: Callable[[EvalItem], DraftRecord],
    *,
    out_dir: Path,
    run: dict[str, Any],
    workers: int = 1,
    progress: Progress | None = None,
    fresh: bool = False,
) -> tuple[dict[str, DraftRecord], int]:
    """Draft the items not finished yet, `workers` at a time, appending each to drafts.jsonl;
    returns every item's record and how many were drafted now (the rest were resumed)."""
    progress = progress or NoProgress()
    path = out_dir / DRAFTS_FILE
    out_dir.mkdir(parents=True, exist_ok=True)
    if fresh and path.exists():
        path.unlink()
    done = read_drafts(path, run)
    todo = [item for item in items if item.id not in done]
    if not path.exists():
        path.write_text(json.dumps({"run": run}) + "\n", encoding="utf-8")
    lock = threading.Lock()

    def finish(record: DraftRecord) -> None:
        with lock, path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        done[record.id] = record
        progress.advance()

    progress.start(len(todo), "drafts")
    try:
        if workers <= 1:
            for item in todo:
                finish(draft_one(item))
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                pending: set[Future[DraftRecord]] = {pool.submit(draft_one, i) for i in todo}
                try:
                    while pending:
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in finished:
                            finish(future.result())
                except BaseException:
                    for future in pending:
                        future.cancel()
                    raise
    finally:
        progress.finish()
    return done, len(todo)


# --- scoring ------------------------------------------------------------------------------------


class VectorCache:
    """Embeds texts once; sentences repeat across items (the same sources, the same advice)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def sentences_of(text: str) -> list[str]:
    return measures.split_sentences(text, min_words=measures.MIN_SENTENCE_WORDS)


def source_facts(source: dict[str, Any]) -> str:
    """What a source states: a past Q&A's excerpt without its patient's question (drafter.
    pipeline.build_sources writes "Question: ... Doctor's answer: ..."), an article's as is."""
    excerpt = str(source.get("excerpt", ""))
    if source.get("kind") == "qa" and ANSWER_MARK in excerpt:
        return excerpt.split(ANSWER_MARK, 1)[1]
    return excerpt


def score_item(
    item: EvalItem, record: DraftRecord, vectors: VectorCache, threshold: float
) -> dict[str, Any]:
    """Every measure of one draft, with the texts a reader of the report needs."""
    draft = record.draft
    reply, explainer = draft.get("reply", ""), draft.get("explainer", "")
    answer = "\n\n".join(t for t in (reply, explainer) if t)
    sources = draft.get("sources", [])
    citations = measures.citation_score(
        [("reply", reply, record.reply_sources), ("explainer", explainer, len(sources))]
    )
    sentences, reply_sentences = sentences_of(answer), sentences_of(reply)
    source_vectors = vectors([s for src in sources for s in sentences_of(source_facts(src))])
    answer_vectors = vectors(sentences)
    statements = [*item.must_have, *item.nice_to_have]
    matches = measures.match_statements(
        statements,
        vectors(statements),
        [True] * len(item.must_have) + [False] * len(item.nice_to_have),
        sentences,
        answer_vectors,
        threshold,
    )
    reference_cosines = [
        measures.centroid_cosine(answer_vectors, vectors(sentences_of(ref)))
        for ref in item.references
    ]
    rouges = [measures.rouge_l(answer, ref) for ref in item.references]
    found_flags = [f["rule_id"] for f in draft.get("red_flags", [])]
    return {
        "id": item.id,
        "question": item.question,
        "references": list(item.references),
        "title": draft.get("title", ""),
        "reply": reply,
        "explainer": explainer,
        "status": draft.get("status"),
        "error": draft.get("error"),
        "problems": draft.get("problems", []),
        "cannot_answer": bool(draft.get("cannot_answer")),
        "sources": [{"n": s["n"], "id": s["id"], "title": s["title"]} for s in sources],
        "prompt_version": draft.get("prompt_version", {}),
        "timings": draft.get("timings", {}),
        "seconds": round(record.seconds, 3),
        "citations": {
            "cited": citations.cited,
            "valid": citations.valid,
            "validity": citations.validity,
            "issues": citations.issues,
        },
        "groundedness": measures.share_supported(answer_vectors, source_vectors, threshold),
        "groundedness_reply": measures.share_supported(
            vectors(reply_sentences), source_vectors, threshold
        ),
        "reference_similarity": max((c for c in reference_cosines if c is not None), default=None),
        "rouge_l": max((r for r in rouges if r is not None), default=None),
        "grade_level": measures.flesch_kincaid_grade(answer),
        "grade_level_reply": measures.flesch_kincaid_grade(reply),
        "words_reply": len(measures.words(reply)),
        "words_explainer": len(measures.words(explainer)),
        "statements": [m.to_json() for m in matches],
        "comprehensiveness": measures.comprehensiveness(matches),
        "contradictions": measures.contradictions(matches) if matches else None,
        "red_flags": {"expected": item.red_flags, "found": found_flags},
    }


def aggregate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures over all items; a measure no item has (e.g. no gold statements) is None."""

    def avg(key: str) -> float | None:
        return measures.mean(i[key] for i in items)

    cited = sum(i["citations"]["cited"] for i in items)
    seconds = [i["seconds"] for i in items]
    kqa = [i for i in items if i["comprehensiveness"] is not None]
    flags = measures.red_flag_score(
        (i["red_flags"]["expected"], i["red_flags"]["found"]) for i in items
    )
    p50, p95 = measures.quantile(seconds, 0.5), measures.quantile(seconds, 0.95)
    return {
        "items": len(items),
        "complete": sum(i["status"] == "complete" for i in items),
        "errors": sum(i["error"] is not None for i in items),
        "cannot_answer": sum(i["cannot_answer"] for i in items),
        "citation_validity": round(sum(i["citations"]["valid"] for i in items) / cited, 4)
        if cited
        else None,
        "citation_issue_free": round(
            sum(not i["citations"]["issues"] for i in items) / len(items), 4
        )
        if items
        else None,
        "groundedness": avg("groundedness"),
        "groundedness_reply": avg("groundedness_reply"),
        "reference_similarity": avg("reference_similarity"),
        "rouge_l": avg("rouge_l"),
        "grade_level": avg("grade_level"),
        "grade_level_reply": avg("grade_level_reply"),
        "words_reply": avg("words_reply"),
        "words_explainer": avg("words_explainer"),
        "kqa_items": len(kqa),
        "comprehensiveness": avg("comprehensiveness"),
        "hallucination": measures.mean(i["contradictions"] for i in kqa),
        "answers_with_contradiction": round(sum(i["contradictions"] > 0 for i in kqa) / len(kqa), 4)
        if kqa
        else None,
        "red_flag_labelled": flags.labelled,
        "red_flag_recall": flags.recall,
        "red_flag_false_alarm_rate": flags.false_alarm_rate,
        "latency_mean": avg("seconds"),
        "seconds_total": round(sum(seconds), 1),  # drafting time, resumed runs included
        "latency_p50": round(p50, 3) if p50 is not None else None,
        "latency_p95": round(p95, 3) if p95 is not None else None,
    }


# --- the whole run ------------------------------------------------------------------------------


def run_eval(
    evalset: EvalSet,
    *,
    retriever: HybridRetriever,
    llm: ChatBackend,
    settings: Settings,
    prompts: PromptSet,
    out_dir: Path,
    parts: tuple[Part, ...] = PARTS,
    progress: Progress | None = None,
    fresh: bool = False,
    threshold: float = measures.SUPPORT_THRESHOLD,
) -> dict[str, Any]:
    """Draft (resuming) and score every item; returns the report (run, aggregate, items)."""
    started, started_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    templates = {"title": prompts.title, "reply": prompts.reply, "explainer": prompts.explainer}
    run = {
        "set": str(evalset.path.resolve()),
        "model": llm.model_id,
        "prompts": {p: templates[p].ref for p in parts},
        "parts": list(parts),
        "settings": {k: getattr(settings, k) for k in DRAFTING_SETTINGS},
    }
    workers = settings.batch_concurrency if llm.remote else 1

    def draft_one(item: EvalItem) -> DraftRecord:
        return draft_item(
            item, retriever=retriever, llm=llm, settings=settings, prompts=prompts, parts=parts
        )

    records, drafted = draft_all(
        evalset.items, draft_one, out_dir=out_dir, run=run, workers=workers,
        progress=progress, fresh=fresh,
    )  # fmt: skip
    drafting = time.perf_counter() - started
    vectors = VectorCache(retriever.embedder)
    items = [score_item(i, records[i.id], vectors, threshold) for i in evalset.items]
    return {
        "run": {
            **run,
            "set_format": evalset.format,
            "label": out_dir.name,
            "embedder": retriever.embedder.name,
            "workers": workers,
            "started": started_at,
            "drafted": drafted,
            "resumed": len(evalset.items) - drafted,
            "drafter": __version__,
            "drafting_seconds": round(drafting, 1),
            "seconds": round(time.perf_counter() - started, 1),
            "skipped_lines": [str(issue) for issue in evalset.issues],
        },
        "thresholds": {
            "support": threshold,
            "min_sentence_words": measures.MIN_SENTENCE_WORDS,
            "calibrated_for": measures.CALIBRATED_FOR,
        },
        "aggregate": aggregate(items),
        "items": items,
    }
