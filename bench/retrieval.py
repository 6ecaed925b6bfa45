"""Retrieval benchmarks: quality (Curai pairs, LiveQA -> MedQuAD), latency at scale, ingestion.

Run with `make bench` (or `python bench/retrieval.py --help`). Needs ../shared/data; each part
skips cleanly when its data is absent. Every figure is printed next to a baseline measured in the
same process, so the ratio is meaningful on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import need_shared, percentiles, scratch_retriever, timed  # noqa: E402
from drafter.core.records import QAPair  # noqa: E402
from drafter.core.settings import load_settings  # noqa: E402
from drafter.evaluation.retrieval import evaluate_pairs, format_report, metrics  # noqa: E402
from drafter.services import Services
from knowledge.documents import IndexRow, index_rows  # noqa: E402
from knowledge.importers import parse_file  # noqa: E402
from knowledge.ingest import ingest_files, refresh_indexes  # noqa: E402
from knowledge.retrieval import MODES, HybridRetriever  # noqa: E402

Report = dict[str, object]


def bench_pairs(limit: int | None) -> Report | None:
    path = need_shared("curai_mqp", "mqp_pairs_dev.jsonl")
    if path is None:
        return None
    services = Services(load_settings())
    report = evaluate_pairs(path, services.embedder(), fusion=services.fusion, limit=limit)
    print("\n## Similar Q&A: Curai medical question pairs (dev)\n")
    print(format_report(report))
    return report


def liveqa_relevance() -> tuple[list[tuple[str, str]], dict[str, set[str]]] | None:
    questions = need_shared("trec_liveqa_med2017", "liveqa_questions_dev.jsonl")
    judged = need_shared("medquad", "medquad_liveqa_judged_answers_dev.jsonl")
    if questions is None or judged is None:
        return None
    relevant: dict[str, set[str]] = defaultdict(set)
    for line in judged.open(encoding="utf-8"):
        row = json.loads(line)
        if int(row["judgment"]) >= 3:
            relevant[row["liveqa_qid"]].add(re.sub(r"_Sec\d+$", "", row["answer_id"]))
    queries = []
    for line in questions.open(encoding="utf-8"):
        row = json.loads(line)
        queries.append((row["id"], f"{row.get('subject') or ''}\n{row['message']}".strip()))
    return queries, relevant


def bench_liveqa(article_limit: int | None) -> Report | None:
    loaded = liveqa_relevance()
    articles = need_shared("medquad", "medquad_articles.jsonl")
    if loaded is None or articles is None:
        return None
    queries, relevant = loaded
    with scratch_retriever() as retriever:
        started = time.perf_counter()
        ingest_files(retriever, [articles], limit=article_limit)
        build = time.perf_counter() - started
        stored = {
            item.metadata["parent_id"] for page in retriever.store.iter_all("faq") for item in page
        }
        usable = [(qid, text) for qid, text in queries if relevant.get(qid, set()) & stored]
        ranks: dict[str, list[tuple[int | None, int | None]]] = {m: [] for m in MODES}
        for qid, text in usable:
            vector = retriever.embed_query(text)
            for mode in MODES:
                hits = retriever.search(text, kind="faq", k=20, mode=mode, vector=vector)
                first = next((n for n, h in enumerate(hits, 1) if h.id in relevant[qid]), None)
                ranks[mode].append((first, None))
    report: Report = {m: metrics(ranks[m]) for m in MODES}
    report.update(n_queries=len(usable), n_articles=len(stored), build_seconds=round(build, 1))
    print("\n## Related FAQ: LiveQA dev questions -> MedQuAD articles (judgment >= 3)\n")
    print(f"{'retriever':<10} {'recall@1':>9} {'recall@5':>9} {'MRR':>7}")
    for mode in MODES:
        m = report[mode]
        assert isinstance(m, dict)  # noqa: S101 - built just above
        print(f"{mode:<10} {m['recall@1']:>9.3f} {m['recall@5']:>9.3f} {m['mrr']:>7.3f}")
    print(
        f"{len(usable)} questions with a relevant article, {len(stored)} articles "
        f"(indexed in {build:.0f} s)"
    )
    return report


def synthetic_rows(base: list[IndexRow], vectors: np.ndarray, n: int) -> tuple[list, np.ndarray]:
    """Scale a real archive up to n rows: mixed texts and perturbed unit vectors."""
    rng = np.random.default_rng(7)
    pick = rng.integers(0, len(base), size=(n, 2))
    rows = []
    for i, (a, b) in enumerate(pick):
        row = base[a]
        meta = dict(row.metadata, parent_id=f"syn-{i}")
        rows.append(IndexRow("qa", f"syn-{i}", f"{row.text} {base[b].metadata['title']}", meta))
    mixed = vectors[pick[:, 0]] + 0.3 * vectors[pick[:, 1]]
    mixed += rng.normal(0, 0.02, size=mixed.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return rows, mixed.astype(np.float32)


def bench_scale(sizes: list[int], queries: int) -> Report | None:
    path = need_shared("doctor_qa_scrapes", "doctor_qa.jsonl")
    if path is None:
        return None
    records = [r for _, r in parse_file(path) if isinstance(r, QAPair)]
    base = [index_rows(r)[0] for r in records]
    settings = load_settings()
    embedder = Services(settings).embedder()
    embedder.embed(["warm-up"])

    print("\n## Ingestion throughput (doctor_qa.jsonl, real records, model already loaded)\n")
    sample = records[:3000]
    texts = [index_rows(r)[0].text for r in sample]
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    embed_only = len(texts) / (time.perf_counter() - started)
    with scratch_retriever(settings) as retriever:
        tmp = Path(retriever.index_dir).parent / "sample.jsonl"
        tmp.write_text("\n".join(r.model_dump_json() for r in sample), encoding="utf-8")
        started = time.perf_counter()
        ingest_files(retriever, [tmp])
        ingest_rate = len(sample) / (time.perf_counter() - started)
    print(f"{len(texts)} Q&As, {len(set(texts))} distinct questions (one per answering doctor)")
    print(f"embedding every row (baseline): {embed_only:7.1f} Q&As/s")
    print(
        f"drafter ingest (parse, embed, upsert, BM25): {ingest_rate:7.1f} Q&As/s "
        f"({ingest_rate / embed_only:.2f}x of the baseline)"
    )
    report: Report = {
        "ingest_per_second": round(ingest_rate, 1),
        "embed_every_row_per_second": round(embed_only, 1),
        "distinct_questions": len(set(texts)),
    }

    all_vectors = np.concatenate([vectors, embedder.embed([r.text for r in base[3000:]])])
    probe = random.Random(3).sample([r.metadata["question"] for r in base], queries)
    print("\n## Query latency (embed + dense + BM25 + fusion), synthetic scale-up of doctor_qa\n")
    print(f"{'stored':>8} {'hybrid p50':>11} {'p95':>7} {'dense-only p50':>15} {'ratio':>6}")
    latency: dict[str, object] = {}
    for size in sizes:
        rows, vecs = synthetic_rows(base, all_vectors, size)
        with scratch_retriever(settings) as retriever:
            for start in range(0, size, 4000):
                chunk = rows[start : start + 4000]
                retriever.store.collection("qa", embedder_name=embedder.name)
                retriever.store.upsert(
                    "qa",
                    [r.id for r in chunk],
                    vecs[start : start + 4000],
                    [r.text for r in chunk],
                    [r.metadata for r in chunk],
                )
            refresh_indexes(retriever, ["qa"])
            hybrid = run_queries(retriever, probe, "hybrid")
            dense = run_queries(retriever, probe, "dense")
        h50, h95 = percentiles(hybrid)
        d50, _ = percentiles(dense)
        print(f"{size:>8,} {h50:>9.1f}ms {h95:>5.1f}ms {d50:>13.1f}ms {h50 / d50:>6.2f}")
        latency[str(size)] = {
            "p50_ms": round(h50, 1),
            "p95_ms": round(h95, 1),
            "dense_p50_ms": round(d50, 1),
        }
    report["latency"] = latency
    return report


def run_queries(
    retriever: HybridRetriever, probe: list[str], mode: Literal["hybrid", "dense", "bm25"]
) -> list[float]:
    retriever.search(probe[0], k=4, mode=mode)  # warm caches (index load)
    out: list[float] = []
    for text in probe:
        out += timed(partial(retriever.search, text, k=4, mode=mode), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small runs (200 pairs, 800 articles, 1k/10k rows) for a smoke test",
    )
    parser.add_argument("--only", choices=["pairs", "liveqa", "scale"], action="append")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = parser.parse_args()
    only = set(args.only or ["pairs", "liveqa", "scale"])
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    results: dict[str, object] = {}
    started = time.perf_counter()
    if "pairs" in only:
        results["pairs"] = bench_pairs(200 if args.quick else None)
    if "liveqa" in only:
        results["liveqa"] = bench_liveqa(800 if args.quick else None)
    if "scale" in only:
        results["scale"] = bench_scale(sizes, 100 if args.quick else 200)
    print(f"\nbenchmarks took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
