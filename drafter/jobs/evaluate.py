"""`drafter eval`: draft every question of a held-out set, then score the drafts.

Two stages. Drafting (drafter.jobs.runner: threads for a remote backend) appends each finished
item to `DIR/drafts.jsonl` as it lands, so an interrupted run resumes where it stopped (items
that failed are drafted again). Scoring is drafter.evaluation.scoring, with the retriever's
embedder. The report is `run` + `thresholds` + `aggregate` + `items`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter import __version__
from drafter.core.errors import DrafterError, InputError
from drafter.core.progress import NoProgress, Progress
from drafter.core.question import PatientQuestion
from drafter.core.secrets import scrub
from drafter.drafting.draft import Part
from drafter.drafting.parts import PromptSet
from drafter.drafting.pipeline import draft_page
from drafter.drafting.specs import PART_NAMES
from drafter.evaluation import measures, scoring
from drafter.evaluation.sets import EvalItem, EvalSet
from drafter.jobs.runner import ProgressListener, run_job, still_to_do
from drafter.triage.findings import Triage

if TYPE_CHECKING:
    from drafter.backends.base import ChatBackend
    from drafter.core.settings import Settings
    from knowledge.retrieval import HybridRetriever

PARTS: tuple[Part, ...] = PART_NAMES
DRAFTS_FILE = "drafts.jsonl"
# Settings that change what is drafted: recorded with the run, so a resume never mixes two.
DRAFTING_SETTINGS = (
    "temperature",
    "reply_max_tokens",
    "explainer_max_tokens",
    "source_chars",
    "reply_sources",
    "reply_source_chars",
    "reply_facts",
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
    triage: Callable[[str], Triage] | None = None,
) -> DraftRecord:
    """Draft one question; a refused question or a failing backend is recorded, not raised."""
    started = time.perf_counter()
    question = PatientQuestion.of(item)
    try:
        draft = draft_page(
            question,
            retriever=retriever,
            llm=llm,
            settings=settings,
            prompts=prompts,
            parts=parts,
            triage=triage,
        )
        data = draft.to_json()
        reply_sources = min(settings.reply_sources, len(draft.sources))
    except DrafterError as exc:
        data, reply_sources = {"error": scrub(str(exc)), "status": "incomplete"}, 0
    return DraftRecord(item.id, data, time.perf_counter() - started, reply_sources)


def asked(item: EvalItem) -> str:
    """What the draft of `item` was made from (its question and asker), as a short hash: a draft
    of a question since edited in the set is drafted again."""
    question = json.dumps(PatientQuestion.of(item).to_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(question.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _drop_cut_line(path: Path) -> None:
    """Remove a last line that a killed run left without its newline, so the next append starts
    a line of its own."""
    if not path.exists():
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)


def read_drafts(
    path: Path, run: dict[str, Any], asks: Mapping[str, str] | None = None
) -> dict[str, DraftRecord]:
    """Finished items of an earlier run with the same settings (and, given `asks`, drafted from
    the same question: see `asked`); another run's file is refused."""
    if not path.exists():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return {}
    header = json.loads(lines[0]).get("run")
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
        same_question = asks is None or row.get("asked") == asks.get(record.id)
        if record.error is None and same_question:
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
    """Draft the items not finished yet, `workers` at a time, appending each to drafts.jsonl as
    it lands; returns every item's record and how many were drafted now (the rest were resumed).
    A draft that failed is kept in the file but drafted again by the next run."""
    progress = progress or NoProgress()
    path = out_dir / DRAFTS_FILE
    out_dir.mkdir(parents=True, exist_ok=True)
    if fresh and path.exists():
        path.unlink()
    asks = {item.id: asked(item) for item in items}
    _drop_cut_line(path)
    done = read_drafts(path, run, asks)
    todo = still_to_do(items, done)
    if not path.exists() or not path.stat().st_size:
        path.write_text(json.dumps({"run": run}) + "\n", encoding="utf-8")

    def finish(record: DraftRecord) -> None:
        line = {**record.to_json(), "asked": asks.get(record.id)}
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        done[record.id] = record

    try:
        ran = run_job(
            todo,
            draft_one,
            finish,
            concurrency=workers,
            listener=ProgressListener(progress, "drafts"),
        )
    finally:
        progress.finish()
    if ran.interrupted:
        raise KeyboardInterrupt  # the command reports it; every finished draft is in the file
    return done, len(todo)


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
    triage: Callable[[str], Triage] | None = None,
) -> dict[str, Any]:
    """Draft (resuming) and score every item; returns the report (run, aggregate, items)."""
    started, started_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    templates = {part: prompts[part] for part in PARTS}
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
            item,
            retriever=retriever,
            llm=llm,
            settings=settings,
            prompts=prompts,
            parts=parts,
            triage=triage,
        )

    records, drafted = draft_all(
        evalset.items, draft_one, out_dir=out_dir, run=run, workers=workers,
        progress=progress, fresh=fresh,
    )  # fmt: skip
    drafting = time.perf_counter() - started
    items = scoring.score_all(evalset.items, records, retriever.embedder, threshold)
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
        "aggregate": scoring.aggregate(items),
        "items": items,
    }
