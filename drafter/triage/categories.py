"""The triage categories (data/categories.toml): what the patient's words may mean, how soon they
need care, and the advice a reply opens with. Sources are in docs/safety.md."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

Urgency = Literal["emergency", "same_day", "routine"]
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    urgency: Urgency
    advice: str


@cache
def categories() -> dict[str, Category]:
    """Every category by id, in the file's order; a malformed entry is an error at load."""
    raw = tomllib.loads((DATA / "categories.toml").read_text(encoding="utf-8"))
    out = {}
    for key, entry in raw.items():
        if (
            entry.get("urgency") not in URGENCIES
            or not entry.get("label")
            or not entry.get("advice")
        ):
            raise ValueError(f"categories.toml: [{key}] needs label, advice and an urgency")
        out[key] = Category(key, entry["label"], entry["urgency"], entry["advice"])
    return out


def urgency_rank(urgency: str | None) -> int:
    """0 for emergency, 1 for same day, 2 for routine: what the inbox sorts by."""
    return URGENCIES.index(urgency) if urgency in URGENCIES else len(URGENCIES)  # type: ignore[arg-type]
