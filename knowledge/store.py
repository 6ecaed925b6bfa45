"""The Chroma adapter, the only module importing chromadb: embedded by default, a server by URL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from drafter.core.deadline import within
from drafter.core.errors import BackendUnavailableError, StoreMissingError
from drafter.core.records import Filters, Kind

KINDS: tuple[Kind, ...] = ("qa", "faq")
_MAX_BATCH = 4000  # below Chroma's max batch size on every backend
Answer = TypeVar("Answer")


@dataclass(frozen=True)
class StoredItem:
    """One row of a collection as Drafter sees it."""

    id: str
    document: str
    metadata: dict[str, Any]
    embedding: np.ndarray | None = None
    distance: float | None = None


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """Chroma `where` for the filters: None, one condition, or an `$and` of several."""
    conditions = [{key: value} for key, value in (filters.as_dict() if filters else {}).items()]
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def _refused(url: str, exc: Exception) -> BackendUnavailableError:
    """A server that refused or dropped the connection: down, or restarting."""
    return BackendUnavailableError(
        f"Chroma server at {url} does not answer (DRAFTER_CHROMA_URL): {type(exc).__name__}"
    )


def _silent(url: str, timeout: float) -> str:
    return (
        f"Chroma server at {url} does not answer within {timeout:g} s "
        "(DRAFTER_CHROMA_URL, DRAFTER_REQUEST_TIMEOUT)"
    )


class KnowledgeStore:
    """Q&As and FAQ chunks in two Chroma collections, with the embedder's name kept alongside.

    On a server every call has the deadline `timeout` (chromadb's HttpClient reads with none),
    and a server gone away since (the connection refused or cut) is a BackendUnavailableError,
    as at connect; the same client works again once the server is back.
    """

    def __init__(
        self,
        client: Any,
        prefix: str,
        location: str,
        *,
        create: bool,
        timeout: float | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self.location = location
        self._create = create
        self._timeout = timeout
        self._collections: dict[Kind, Any] = {}

    @classmethod
    def open(
        cls,
        *,
        path: Path,
        url: str | None = None,
        prefix: str = "drafter",
        create: bool = False,
        timeout: float = 30.0,
    ) -> KnowledgeStore:
        """The Chroma server at `url` when given (each call bounded by `timeout` seconds), else
        the embedded store in folder `path`."""
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            server = urlparse(url)

            def connect() -> Any:  # the client's constructor already asks the server
                client = chromadb.HttpClient(
                    host=server.hostname or "localhost",
                    port=server.port or (443 if server.scheme == "https" else 8000),
                    ssl=server.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
                return client

            try:
                client = within(timeout, connect, _silent(url, timeout))
            except BackendUnavailableError:
                raise
            except Exception as exc:  # chromadb raises bare ValueError/ConnectError variants
                raise _refused(url, exc) from None
            return cls(client, prefix, url, create=create, timeout=timeout)
        if not create and not (path / "chroma.sqlite3").exists():
            raise StoreMissingError(
                f"no knowledge base at {path}: run `drafter ingest` first "
                "(or `make run`, which loads the sample)"
            )
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        return cls(client, prefix, str(path), create=create)

    def close(self) -> None:
        """Let go of the client: the embedded store's files and database connections (stopped when
        the last client of that folder closes), a server client's sockets."""
        self._collections.clear()
        self._client.close()

    def _call(self, call: Callable[[], Answer]) -> Answer:
        """`call()`, within the deadline when the store is a server."""
        if self._timeout is None:
            return call()
        try:
            return within(self._timeout, call, _silent(self.location, self._timeout))
        except httpx.TransportError as exc:  # refused, reset or cut off mid-answer
            raise _refused(self.location, exc) from None

    def collection_name(self, kind: Kind) -> str:
        return f"{self._prefix}_{kind}"

    def collection(self, kind: Kind, *, embedder_name: str | None = None) -> Any:
        if kind in self._collections:
            return self._collections[kind]
        try:
            col = self._call(
                lambda: self._client.get_collection(
                    self.collection_name(kind), embedding_function=None
                )
            )
        except NotFoundError:
            if not self._create:
                raise StoreMissingError(
                    f"the knowledge base at {self.location} has no {kind} collection: "
                    "run `drafter ingest` first"
                ) from None
            col = self._call(
                lambda: self._client.create_collection(
                    self.collection_name(kind),
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
                    metadata={"embedder": embedder_name or "unknown", "generation": "0"},
                )
            )
        self._collections[kind] = col
        return col

    def embedder_name(self, kind: Kind) -> str | None:
        return (self.collection(kind).metadata or {}).get("embedder")

    def generation(self, kind: Kind) -> str:
        """Changes whenever Drafter writes to the collection (for derived indexes).

        Read fresh each time (another process may have written); deliberately not `count()`,
        which costs ~15 ms at 100k rows.
        """
        try:
            col = self._call(
                lambda: self._client.get_collection(
                    self.collection_name(kind), embedding_function=None
                )
            )
        except NotFoundError:
            return "missing"
        return str((col.metadata or {}).get("generation", "0"))

    def has(self, kind: Kind) -> bool:
        """Whether the collection exists (cheap; does not count rows)."""
        try:
            self.collection(kind)
        except StoreMissingError:
            return False
        return True

    def bump_generation(self, kind: Kind) -> None:
        col = self.collection(kind)
        metadata = dict(col.metadata or {})
        metadata["generation"] = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
        self._call(lambda: col.modify(metadata=metadata))

    def count(self, kind: Kind) -> int:
        try:
            col = self.collection(kind)
            return int(self._call(col.count))
        except StoreMissingError:
            return 0

    def upsert(
        self,
        kind: Kind,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        col = self.collection(kind)
        for start in range(0, len(ids), _MAX_BATCH):
            end = start + _MAX_BATCH
            self._call(
                partial(
                    col.upsert,
                    ids=list(ids[start:end]),
                    embeddings=embeddings[start:end],
                    documents=list(documents[start:end]),
                    metadatas=[_clean(m) for m in metadatas[start:end]],
                )
            )

    def delete_where(self, kind: Kind, where: dict[str, Any]) -> None:
        col = self.collection(kind)
        self._call(lambda: col.delete(where=where))

    def query(
        self, kind: Kind, embedding: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[StoredItem]:
        col = self.collection(kind)
        result = self._call(
            lambda: col.query(
                query_embeddings=[embedding],
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances", "embeddings"],
            )
        )
        embeddings = result.get("embeddings")
        return [
            StoredItem(
                id=item_id,
                document=result["documents"][0][i],
                metadata=dict(result["metadatas"][0][i] or {}),
                embedding=np.asarray(embeddings[0][i]) if embeddings is not None else None,
                distance=float(result["distances"][0][i]),
            )
            for i, item_id in enumerate(result["ids"][0])
        ]

    def get(
        self,
        kind: Kind,
        ids: Sequence[str] | None = None,
        *,
        where: dict[str, Any] | None = None,
        embeddings: bool = False,
    ) -> list[StoredItem]:
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        col = self.collection(kind)
        result = self._call(
            lambda: col.get(
                ids=list(ids) if ids is not None else None, where=where, include=include
            )
        )
        vectors = result.get("embeddings") if embeddings else None
        return [
            StoredItem(
                id=item_id,
                document=result["documents"][i],
                metadata=dict(result["metadatas"][i] or {}),
                embedding=np.asarray(vectors[i]) if vectors is not None else None,
            )
            for i, item_id in enumerate(result["ids"])
        ]

    def iter_all(
        self, kind: Kind, batch: int = 5000, *, where: dict[str, Any] | None = None
    ) -> Iterator[list[StoredItem]]:
        """Every row (or those matching `where`), a page at a time (for building the lexical
        index, or choosing the Q&As of a batch)."""
        col = self.collection(kind)
        offset = 0
        while True:
            page = self._call(
                partial(
                    col.get,
                    include=["documents", "metadatas"],
                    where=where,
                    limit=batch,
                    offset=offset,
                )
            )
            if not page["ids"]:
                return
            yield [
                StoredItem(id=i, document=d, metadata=dict(m or {}))
                for i, d, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
            ]
            offset += len(page["ids"])


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata holds only non-empty scalars."""
    return {k: v for k, v in metadata.items() if v is not None and v != ""}
