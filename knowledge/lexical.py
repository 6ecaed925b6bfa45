"""BM25 over one collection (bm25s), saved beside the store, rebuilt when the store changes."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from drafter.core.records import Filters

logging.getLogger("bm25s").setLevel(logging.WARNING)

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN_PLUS)
_STEMMER = Stemmer.Stemmer("english")
FILTER_FIELDS = ("specialty", "age_group", "sex")


def _words(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without English stop words (same for documents and queries)."""
    return list(_STEMMER.stemWords(_words(text)))


def stem_to_word(text: str) -> dict[str, str]:
    """Each stem of the text mapped to the first word that produced it (for display)."""
    words = _words(text)
    out: dict[str, str] = {}
    for word, stem in zip(words, _STEMMER.stemWords(words), strict=True):
        out.setdefault(stem, word)
    return out


@dataclass(frozen=True)
class LexicalHit:
    id: str
    score: float
    rank: int


class LexicalIndex:
    """BM25 scores for every stored row, with per-row filter fields for masking."""

    def __init__(
        self,
        bm25: bm25s.BM25,
        ids: list[str],
        fields: dict[str, list[str]],
        generation: str,
    ) -> None:
        self._bm25 = bm25
        self.ids = ids
        self.generation = generation
        self._fields = {name: np.asarray(values, dtype=object) for name, values in fields.items()}
        self._vocab: dict[str, int] = bm25.vocab_dict

    @classmethod
    def build(
        cls,
        rows: Iterable[tuple[str, str, dict[str, object]]],
        generation: str,
    ) -> LexicalIndex:
        """Index (id, text, metadata) rows."""
        ids: list[str] = []
        corpus: list[list[str]] = []
        fields: dict[str, list[str]] = {name: [] for name in FILTER_FIELDS}
        for row_id, text, meta in rows:
            ids.append(row_id)
            corpus.append(tokenize(text) or ["\x00empty"])
            for name in FILTER_FIELDS:
                fields[name].append(str(meta.get(name) or ""))
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            bm25.index(corpus, show_progress=False)
        else:
            bm25.vocab_dict = {}
        return cls(bm25, ids, fields, generation)

    def __len__(self) -> int:
        return len(self.ids)

    # --- persistence ---------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(tmp), show_progress=False)
        manifest = {
            "generation": self.generation,
            "ids": self.ids,
            "fields": {k: v.tolist() for k, v in self._fields.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            return None
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest["ids"]:
            bm25 = bm25s.BM25.load(str(directory), show_progress=False, load_corpus=False)
        else:
            bm25 = bm25s.BM25()
            bm25.vocab_dict = {}
        return cls(bm25, manifest["ids"], manifest["fields"], manifest["generation"])

    # --- search --------------------------------------------------------------------------------

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """1.0 for rows that pass the filters, 0.0 otherwise; None when nothing is filtered."""
        wanted = filters.as_dict() if filters else {}
        if not wanted or not self.ids:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        for name, value in wanted.items():
            keep &= self._fields[name] == value
        return keep.astype(np.float32)

    def query_ids(self, query: str) -> list[int]:
        return [self._vocab[t] for t in dict.fromkeys(tokenize(query)) if t in self._vocab]

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[LexicalHit]:
        token_ids = self.query_ids(query)
        if not token_ids or not self.ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        weights = self.mask(filters)
        if weights is not None:
            scores = scores * weights
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [
            LexicalHit(self.ids[i], float(scores[i]), rank)
            for rank, i in enumerate(top, start=1)
            if scores[i] > 0
        ]

    @cached_property
    def _position(self) -> dict[str, int]:
        return {row_id: i for i, row_id in enumerate(self.ids)}

    @cached_property
    def _inverse_vocab(self) -> dict[int, str]:
        return {v: k for k, v in self._vocab.items()}

    def matched_terms(self, query: str, ids: Sequence[str]) -> dict[str, list[str]]:
        """Query words whose stems occur in each of some rows (for 'why it matched')."""
        if not ids or not self.ids:
            return {}
        matrix = self._bm25.scores
        token_ids = self.query_ids(query)
        shown = stem_to_word(query)
        out: dict[str, list[str]] = {}
        for row_id in ids:
            row = self._position.get(row_id)
            if row is None:
                continue
            terms = []
            for token_id in token_ids:
                start, end = matrix["indptr"][token_id], matrix["indptr"][token_id + 1]
                docs = matrix["indices"][start:end]
                pos = np.searchsorted(docs, row)
                if pos < len(docs) and docs[pos] == row:
                    stem = self._inverse_vocab[token_id]
                    terms.append(shown.get(stem, stem))
            out[row_id] = terms
        return out


def lexical_dir(index_dir: Path, collection: str) -> Path:
    return index_dir / f"bm25-{collection}"
