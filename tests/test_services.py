"""Services lets go of what it opened: a long-lived process (the app, the test suite) that builds
and drops many does not run out of open files."""

from __future__ import annotations

import os
from pathlib import Path

from drafter.services import Services
from tests.conftest import SampleKb


def _open_under(folder: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_close_releases_the_store_files_and_the_database(
    sample_kb: SampleKb, tmp_path: Path
) -> None:
    data = sample_kb.copy_to(tmp_path / "data")
    services = Services(sample_kb.settings.model_copy(update={"data_dir": data}))
    assert services.retriever().search("statin muscle pain", k=1)
    services.workflow().counts()
    assert _open_under(data)  # the store and the database are open while in use
    services.close()
    assert _open_under(data) == []
