"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted RRF, filtered, de-duplicated."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from drafter.core.errors import InputError, SettingsError, StoreMissingError
from drafter.core.records import Filters, Hit, Kind, SearchResult
from knowledge.embeddings import Embedder
from knowledge.fusion import collapse_near_duplicates, fold_to_parents, weighted_rrf
from knowledge.lexical import LexicalIndex, lexical_dir
from knowledge.store import KnowledgeStore, StoredItem, where_clause

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid")


def check_query(text: str, max_chars: int) -> str:
    """The query stripped; an empty or over-long query is a clear InputError."""
    stripped = (text or "").strip()
    if not stripped:
        raise InputError("the question is empty: type what the patient asked")
    if len(stripped) > max_chars:
        raise InputError(
            f"the question is {len(stripped):,} characters; the limit is {max_chars:,} "
            "(DRAFTER_MAX_QUESTION_CHARS)"
        )
    return stripped


def parent_of(row_id: str) -> str:
    return row_id.split("#", 1)[0]


@dataclass(frozen=True)
class FusionConfig:
    dense_weight: float = 1.0
    lexical_weight: float = 0.2
    rrf_k: int = 5
    candidates: int = 50
    duplicate_threshold: float = 0.95


class HybridRetriever:
    """Finds the past Q&As and FAQ articles most like a new question."""

    def __init__(
        self,
        store: KnowledgeStore,
        embedder: Embedder,
        index_dir: Path,
        *,
        fusion: FusionConfig | None = None,
        max_chars: int = 6000,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.index_dir = index_dir
        self.max_chars = max_chars
        self.fusion = fusion or FusionConfig()
        self._lexical: dict[Kind, LexicalIndex] = {}
        self._lock = threading.Lock()
        self._checked: set[Kind] = set()

    # --- the lexical side ------------------------------------------------------------------------

    def lexical(self, kind: Kind) -> LexicalIndex:
        """The BM25 index for a collection, loaded from disk or rebuilt if the store moved on."""
        generation = self.store.generation(kind)
        with self._lock:
            cached = self._lexical.get(kind)
            if cached is not None and cached.generation == generation:
                return cached
            loaded = LexicalIndex.load(self._lexical_dir(kind))
            if loaded is None or loaded.generation != generation:
                loaded = self._build_lexical(kind, generation)
            self._lexical[kind] = loaded
            return loaded

    def rebuild_lexical(self, kind: Kind) -> LexicalIndex:
        with self._lock:
            index = self._build_lexical(kind, self.store.generation(kind))
            self._lexical[kind] = index
            return index

    def _lexical_dir(self, kind: Kind) -> Path:
        return lexical_dir(self.index_dir, self.store.collection_name(kind))

    def _build_lexical(self, kind: Kind, generation: str) -> LexicalIndex:
        rows = (
            (item.id, item.document, item.metadata)
            for page in self.store.iter_all(kind)
            for item in page
        )
        index = LexicalIndex.build(rows, generation)
        index.save(self._lexical_dir(kind))
        return index

    def _check_embedder(self, kind: Kind) -> None:
        if kind in self._checked:
            return
        built_with = self.store.embedder_name(kind)
        if built_with not in (None, "unknown", self.embedder.name):
            raise SettingsError(
                f"bad setting DRAFTER_EMBEDDING_BACKEND: the store was built with {built_with}, "
                f"not {self.embedder.name}; re-ingest into a new DRAFTER_DATA_DIR"
            )
        self._checked.add(kind)

    # --- search ----------------------------------------------------------------------------------

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed([check_query(query, self.max_chars)])[0]

    def search(
        self,
        query: str,
        *,
        kind: Kind = "qa",
        k: int = 4,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        collapse: bool = True,
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Top-k hits of one kind, best first."""
        query = check_query(query, self.max_chars)
        if not self.store.has(kind):
            return []
        n = max(self.fusion.candidates, 3 * k)
        rankings: dict[str, list[str]] = {}
        items: dict[str, StoredItem] = {}  # best row (chunk) per parent id
        vectors: dict[str, np.ndarray] = {}
        cosine: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            self._check_embedder(kind)
            vector = self.embedder.embed([query])[0] if vector is None else vector
            dense = self.store.query(kind, vector, n, where_clause(filters))
            for item in dense:
                parent = parent_of(item.id)
                if parent not in items:
                    items[parent] = item
                    cosine[parent] = 1.0 - (item.distance or 0.0)
                    if item.embedding is not None:
                        vectors[parent] = item.embedding
            rankings["dense"] = fold_to_parents([(i.id, parent_of(i.id)) for i in dense])
        lexical_rows: dict[str, str] = {}
        bm25_scores: dict[str, float] = {}
        lexical = self.lexical(kind) if mode in ("hybrid", "bm25") else None
        if lexical is not None:
            lexical_hits = lexical.search(query, n, filters)
            for hit in lexical_hits:
                parent = parent_of(hit.id)
                if parent not in lexical_rows:
                    lexical_rows[parent] = hit.id
                    bm25_scores[parent] = hit.score
            rankings["bm25"] = list(lexical_rows)

        weights = {"dense": self.fusion.dense_weight, "bm25": self.fusion.lexical_weight}
        fused = weighted_rrf(rankings, weights, self.fusion.rrf_k)
        if mode == "dense":
            scores = cosine
        elif mode == "bm25":
            scores = bm25_scores
        else:
            scores = {f.id: f.score for f in fused}
        pool = [f.id for f in fused[: 3 * k if collapse else k]]

        missing = [lexical_rows[p] for p in pool if p not in items]
        need_vectors = collapse and kind == "qa"
        for item in self.store.get(kind, missing, embeddings=need_vectors) if missing else []:
            items[parent_of(item.id)] = item
            if item.embedding is not None:
                vectors[parent_of(item.id)] = item.embedding

        groups = (
            collapse_near_duplicates(pool, vectors, self.fusion.duplicate_threshold)
            if need_vectors
            else [(p, []) for p in pool]
        )[:k]
        # an AI draft approved without a change ranks below the answers a doctor wrote
        groups = sorted(groups, key=lambda g: _unedited(items.get(g[0])))
        ranks = {f.id: f.ranks for f in fused}
        terms = (
            lexical.matched_terms(query, [lexical_rows[p] for p, _ in groups if p in lexical_rows])
            if lexical is not None
            else {}
        )
        return [
            self._hit(
                kind,
                parent,
                items[parent],
                scores.get(parent, 0.0),
                ranks[parent],
                cosine.get(parent),
                terms.get(lexical_rows.get(parent, ""), []),
                dups,
            )
            for parent, dups in groups
            if parent in items
        ]

    def _hit(
        self,
        kind: Kind,
        parent: str,
        item: StoredItem,
        score: float,
        ranks: dict[str, int | None],
        cosine: float | None,
        terms: list[str],
        duplicates: list[str],
    ) -> Hit:
        reasons = []
        if ranks.get("dense"):
            reasons.append(f"meaning #{ranks['dense']} (cosine {cosine:.2f})")
        if ranks.get("bm25"):
            shown = ", ".join(terms[:6]) if terms else "-"
            reasons.append(f"words #{ranks['bm25']} ({shown})")
        if _unedited(item):
            reasons.append("an AI draft approved unedited, ranked below doctor-written answers")
        meta = {k: str(v) for k, v in item.metadata.items()}
        text = meta.get("question", "") if kind == "qa" else item.document.split("\n", 1)[-1]
        return Hit(
            id=parent,
            kind=kind,
            title=meta.get("title", parent),
            score=float(score),
            ranks=dict(ranks),
            why="; ".join(reasons),
            text=text,
            metadata=meta,
            duplicates=tuple(duplicates),
        )

    def page(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        k: int = 4,
        m: int = 5,
    ) -> SearchResult:
        """'Similar Q&A' (top k, all filters) and 'Related FAQ' (top m, specialty only)."""
        started = time.perf_counter()
        if not self.store.has("qa") and not self.store.has("faq"):
            raise StoreMissingError(
                f"the knowledge base at {self.store.location} is empty: run `drafter ingest` first"
            )
        vector = self.embed_query(question)
        similar = self.search(question, kind="qa", k=k, filters=filters, vector=vector)
        faq_filters = Filters(specialty=filters.specialty) if filters else None
        related = self.search(question, kind="faq", k=m, filters=faq_filters, vector=vector)
        return SearchResult(question.strip(), similar, related, time.perf_counter() - started)


def _unedited(item: StoredItem | None) -> bool:
    return item is not None and item.metadata.get("origin") == "ai_unedited"
