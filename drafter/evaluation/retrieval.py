"""`drafter eval-retrieval`: recall@1/5, MRR and positive-above-negative on question pairs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drafter.core.errors import InputError
from drafter.core.progress import NoProgress, Progress
from knowledge.documents import IndexRow
from knowledge.embeddings import Embedder
from knowledge.importers import ImportIssue, read_rows
from knowledge.retrieval import MODES, FusionConfig, HybridRetriever, Mode
from knowledge.store import KnowledgeStore

DEPTH = 50  # ranks beyond this count as "not found" (MRR contribution 0)


@dataclass(frozen=True)
class PairQuery:
    group: str
    text: str
    positive: str
    negative: str | None


@dataclass(frozen=True)
class PairSet:
    documents: dict[str, str]  # id -> text (every question_2, de-duplicated)
    queries: list[PairQuery]
    issues: list[ImportIssue]


def load_pairs(path: Path) -> PairSet:
    """Curai-style pairs: question_1, question_2, label (1 same / 0 different), group_id."""
    by_text: dict[str, str] = {}
    groups: dict[str, dict[str, object]] = {}
    issues: list[ImportIssue] = []
    for number, row in read_rows(path):
        if isinstance(row, ImportIssue):
            issues.append(row)
            continue
        try:
            q1, q2 = str(row["question_1"]).strip(), str(row["question_2"]).strip()
            label, group = int(row["label"]), str(row.get("group_id", q1))
        except (KeyError, ValueError, TypeError) as exc:
            issues.append(ImportIssue(path, number, f"bad pair ({exc})"))
            continue
        if not q1 or not q2 or label not in (0, 1):
            issues.append(ImportIssue(path, number, "empty question or label not 0/1"))
            continue
        doc_id = by_text.setdefault(q2, f"q2-{len(by_text) + 1}")
        entry = groups.setdefault(group, {"text": q1})
        entry["positive" if label == 1 else "negative"] = doc_id
    queries = [
        PairQuery(g, str(e["text"]), str(e["positive"]), e.get("negative"))  # type: ignore[arg-type]
        for g, e in groups.items()
        if "positive" in e
    ]
    if not queries:
        raise InputError(f"{path}: no usable pairs (need question_1, question_2, label, group_id)")
    return PairSet({v: k for k, v in by_text.items()}, queries, issues)


def rank_of(ranking: Sequence[str], doc_id: str | None) -> int | None:
    if doc_id is None:
        return None
    try:
        return ranking.index(doc_id) + 1
    except ValueError:
        return None


def metrics(ranks: Sequence[tuple[int | None, int | None]]) -> dict[str, float]:
    """From (rank of positive, rank of negative) per query; None = not in the top DEPTH."""
    n = len(ranks) or 1
    big = DEPTH + 1
    return {
        "recall@1": round(sum(p == 1 for p, _ in ranks) / n, 4),
        "recall@5": round(sum(p is not None and p <= 5 for p, _ in ranks) / n, 4),
        "mrr": round(sum(1 / p for p, _ in ranks if p) / n, 4),
        "pos_above_neg": round(sum((p or big) < (q or big) for p, q in ranks) / n, 4),
    }


def index_pairs(retriever: HybridRetriever, pairs: PairSet) -> None:
    from knowledge.ingest import refresh_indexes, write_rows

    rows = [
        IndexRow(
            "qa", doc_id, text, {"kind": "qa", "parent_id": doc_id, "title": text, "question": text}
        )
        for doc_id, text in pairs.documents.items()
    ]
    for start in range(0, len(rows), 512):
        write_rows(retriever, rows[start : start + 512])
    refresh_indexes(retriever, ["qa"])


def rankings(
    retriever: HybridRetriever, pairs: PairSet, progress: Progress | None = None
) -> list[dict[Mode, list[str]]]:
    """Each query's ranked ids under BM25, dense and hybrid (no duplicate collapsing)."""
    progress = progress or NoProgress()
    vectors = retriever.embedder.embed([q.text for q in pairs.queries])
    progress.start(len(pairs.queries), "queries")
    out = []
    for query, vector in zip(pairs.queries, vectors, strict=True):
        out.append(
            {
                mode: [
                    h.id
                    for h in retriever.search(
                        query.text, kind="qa", k=DEPTH, mode=mode, collapse=False, vector=vector
                    )
                ]
                for mode in MODES
            }
        )
        progress.advance()
    progress.finish()
    return out


def evaluate_pairs(
    path: Path,
    embedder: Embedder,
    *,
    fusion: FusionConfig | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> dict[str, object]:
    """Index every question_2 in a throw-away store, query with each question_1, score 3 ways."""
    pairs = load_pairs(path)
    if limit:
        queries = pairs.queries[:limit]
        wanted = {q.positive for q in queries} | {q.negative for q in queries if q.negative}
        documents = {k: v for k, v in pairs.documents.items() if k in wanted}
        pairs = PairSet(documents, queries, pairs.issues)
    with tempfile.TemporaryDirectory(prefix="drafter-eval-") as tmp:
        store = KnowledgeStore.open(path=Path(tmp) / "chroma", create=True)
        retriever = HybridRetriever(store, embedder, Path(tmp) / "index", fusion=fusion)
        index_pairs(retriever, pairs)
        ranked = rankings(retriever, pairs, progress)
    report: dict[str, object] = {}
    for mode in MODES:
        report[mode] = metrics(
            [
                (rank_of(r[mode], q.positive), rank_of(r[mode], q.negative))
                for r, q in zip(ranked, pairs.queries, strict=True)
            ]
        )
    report["n_queries"] = len(pairs.queries)
    report["n_documents"] = len(pairs.documents)
    report["skipped_lines"] = [str(i) for i in pairs.issues]
    return report


def format_report(report: dict[str, object]) -> str:
    lines = [f"{'retriever':<10} {'recall@1':>9} {'recall@5':>9} {'MRR':>7} {'pos>neg':>8}"]
    for mode in MODES:
        m = report[mode]
        assert isinstance(m, dict)  # noqa: S101 - shape fixed by evaluate_pairs
        lines.append(
            f"{mode:<10} {m['recall@1']:>9.3f} {m['recall@5']:>9.3f} {m['mrr']:>7.3f} "
            f"{m['pos_above_neg']:>8.3f}"
        )
    lines.append(f"{report['n_queries']} queries over {report['n_documents']} stored questions")
    return "\n".join(lines)


def dumps(report: dict[str, object]) -> str:
    return json.dumps(report, indent=2)
