"""Shared bits of the benchmarks: where the data is, timing helpers, a scratch store."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from drafter.backends.base import ChatBackend
from drafter.core.environment import go_offline
from drafter.core.settings import Settings, load_settings
from drafter.services import Services
from knowledge.retrieval import HybridRetriever

go_offline()  # the benchmarks are entry points: nothing they load may phone home

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class WrappedBackend:
    """A chat backend wrapped by a benchmark to watch its calls: it names itself as the one it
    wraps; subclasses define `stream`."""

    inner: ChatBackend

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def remote(self) -> bool:
        return self.inner.remote


def need_shared(*parts: str) -> Path | None:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        print(f"skip: {path} is absent")
        return None
    return path


@contextmanager
def scratch_retriever(settings: Settings | None = None) -> Iterator[HybridRetriever]:
    """A retriever over an empty throw-away embedded store."""
    base = settings or load_settings()
    with tempfile.TemporaryDirectory(prefix="drafter-bench-") as tmp:
        scratch = base.model_copy(
            update={"data_dir": Path(tmp), "chroma_url": None, "chroma_path": None}
        )
        services = Services(scratch)
        yield services.retriever(store=services.store(create=True))


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        out.append(time.perf_counter() - started)
    return out
