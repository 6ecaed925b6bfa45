"""`drafter triage export`: the doctors' confirmed and dismissed findings as a labelled set (JSON
Lines in the format of knowledge/eval/triage/*.jsonl), which `drafter eval-triage` reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from drafter.core.errors import InputError

if TYPE_CHECKING:
    from drafter.services import Services


def _checked_out(path: Path) -> Path:
    if path.is_dir():
        raise InputError(f"--out {path} is a folder; give the file to write")
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: the folder {path.parent} does not exist")
    return path


def export_reviews(out: Path | None, services: Services) -> int:
    """Write one line per reviewed question to `out` (stdout when None); counts go to stderr."""
    target = _checked_out(out) if out is not None else None
    exported = services.workflow().reviewed_findings()
    text = "".join(json.dumps(row) + "\n" for row in exported.rows)
    if target is None:
        sys.stdout.write(text)
    else:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--out {target}: {exc.strerror or exc}") from None
    positives = sum(row["kind"] == "positive" for row in exported.rows)
    where = f" to {target}" if target is not None else ""
    print(
        f"drafter: wrote {len(exported.rows)} reviewed questions{where} ({positives} with a "
        f"confirmed finding, {len(exported.rows) - positives} with all dismissed)",
        file=sys.stderr,
    )
    if exported.incomplete:
        ids = ", ".join(f"q{i}" for i in exported.incomplete)
        print(
            f"drafter: left out {len(exported.incomplete)} with a finding nobody confirmed or "
            f"dismissed yet (not a sure negative): {ids}",
            file=sys.stderr,
        )
    return 0
