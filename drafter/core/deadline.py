"""A deadline for a blocking call whose client offers no timeout of its own (chromadb's
HttpClient reads with no timeout): the call runs in a daemon thread and the caller stops waiting."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

from drafter.core.errors import BackendUnavailableError

Result = TypeVar("Result")


def within(seconds: float, call: Callable[[], Result], message: str) -> Result:
    """What `call()` returns or raises, or BackendUnavailableError(`message`) after `seconds`.

    A call cut off keeps its thread until its socket gives up; a daemon thread never holds up
    the process's exit.
    """
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            outcome.append((True, context.run(call)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as is
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name="drafter-deadline", daemon=True).start()
    if not done.wait(seconds):
        raise BackendUnavailableError(message)
    ok, value = outcome[0]
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]
