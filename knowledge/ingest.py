"""Import files into the store: parse, embed in batches, upsert by id, refresh the BM25 indexes."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drafter.core.progress import NoProgress, Progress
from drafter.core.records import FaqArticle, Kind, QAPair, Record
from knowledge.documents import IndexRow, index_rows
from knowledge.embeddings import Embedder
from knowledge.importers import ImportIssue, count_lines, parse_file
from knowledge.retrieval import HybridRetriever

BATCH = 256


@dataclass
class ImportReport:
    path: Path
    read: int = 0
    qa: int = 0
    faq: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.qa + self.faq


def write_records(retriever: HybridRetriever, records: Sequence[Record]) -> None:
    """Embed and upsert records (re-importing an id replaces it; stale FAQ chunks go first)."""
    store, embedder = retriever.store, retriever.embedder
    faq_ids = [r.id for r in records if isinstance(r, FaqArticle)]
    if faq_ids:
        store.collection("faq", embedder_name=embedder.name)
        store.delete_where("faq", {"parent_id": {"$in": faq_ids}})
    write_rows(retriever, [row for record in records for row in index_rows(record)])


def write_rows(retriever: HybridRetriever, rows: Sequence[IndexRow]) -> None:
    """Embed and upsert prepared rows, each kind into its own collection."""
    store, embedder = retriever.store, retriever.embedder
    # Last one wins when a batch holds the same id twice (Chroma rejects duplicate ids).
    unique = list({(row.kind, row.id): row for row in rows}.values())
    vectors = embed_once(embedder, [row.text for row in unique])
    for kind in ("qa", "faq"):
        picked = [i for i, row in enumerate(unique) if row.kind == kind]
        if not picked:
            continue
        store.collection(kind, embedder_name=embedder.name)
        store.upsert(
            kind,
            [unique[i].id for i in picked],
            vectors[picked],
            [unique[i].text for i in picked],
            [unique[i].metadata for i in picked],
        )


def embed_once(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Embed each distinct text once: archives repeat a question for each doctor who answered."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    distinct = list(dict.fromkeys(texts))
    vectors = embedder.embed(distinct)
    if len(distinct) == len(texts):
        return vectors
    position = {text: i for i, text in enumerate(distinct)}
    return vectors[[position[text] for text in texts]]


def refresh_indexes(retriever: HybridRetriever, kinds: Iterable[Kind]) -> None:
    for kind in kinds:
        retriever.store.bump_generation(kind)
        retriever.rebuild_lexical(kind)


def ingest_files(
    retriever: HybridRetriever,
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    kind: str | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> list[ImportReport]:
    """Import every file; a bad line is reported (file:line: why) and the rest still lands."""
    progress = progress or NoProgress()
    reports: list[ImportReport] = []
    touched: set[Kind] = set()
    for path in paths:
        report = ImportReport(path)
        started = time.perf_counter()
        total = count_lines(path) if path.is_file() else None
        progress.start(min(total, limit) if total and limit else total, path.name)
        batch: list[Record] = []
        for _, parsed in parse_file(path, fmt, mapping=mapping, kind=kind):
            if limit is not None and report.read >= limit:
                break
            report.read += 1
            if isinstance(parsed, ImportIssue):
                report.issues.append(parsed)
                progress.advance()
                continue
            batch.append(parsed)
            if len(batch) >= BATCH:
                _flush(retriever, batch, report, touched, progress)
        _flush(retriever, batch, report, touched, progress)
        progress.finish()
        report.seconds = time.perf_counter() - started
        reports.append(report)
    refresh_indexes(retriever, sorted(touched))
    return reports


def _flush(
    retriever: HybridRetriever,
    batch: list[Record],
    report: ImportReport,
    touched: set[Kind],
    progress: Progress,
) -> None:
    if not batch:
        return
    write_records(retriever, batch)
    qa = sum(isinstance(r, QAPair) for r in batch)
    report.qa += qa
    report.faq += len(batch) - qa
    touched.update(["qa"] if qa else [])
    touched.update(["faq"] if len(batch) - qa else [])
    progress.advance(len(batch))
    batch.clear()
