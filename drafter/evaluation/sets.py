"""Held-out question sets for `drafter eval`: K-QA, LiveQA, MedicationQA / doctor_qa, and ours.

Every line is read on its own: a broken line becomes an ImportIssue naming its file and line,
and the rest of the set loads. Formats are told apart per line by their fields:

| fields | format | reference | gold statements |
|---|---|---|---|
| `question`, `answer`, `must_have` (+ `nice_to_have`) | K-QA | `answer` | both lists |
| `reference_answers` (+ `message` / `subject` / `question`) | TREC LiveQA | every `answer` | - |
| `question` + `reference` / `references` and/or `red_flags` | ours | as given | `must_have` |
| `question`, `answer` | MedicationQA, doctor_qa, ... | `answer` | - |

Our schema: `id`, `question` (required), `reference` or `references`, `must_have`,
`nice_to_have`, `red_flags` (expected categories of drafter/triage/data/categories.toml; `[]` = a
negative, absent = not labelled), `age_group`, `sex`, `specialty`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.core.errors import InputError
from drafter.core.records import Filters
from drafter.triage.categories import categories
from knowledge.importers import ImportIssue, read_rows

RULE_IDS = frozenset(categories())


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    references: tuple[str, ...] = ()
    must_have: tuple[str, ...] = ()
    nice_to_have: tuple[str, ...] = ()
    red_flags: tuple[str, ...] | None = None  # expected rule ids; None = not labelled
    age_group: str | None = None
    sex: str | None = None
    specialty: str | None = None


@dataclass(frozen=True)
class EvalSet:
    path: Path
    format: str  # the most common line format
    items: list[EvalItem]
    issues: list[ImportIssue]


def _texts(row: dict[str, Any], key: str) -> tuple[str, ...]:
    value = row.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _question(row: dict[str, Any]) -> str:
    text = row.get("question")
    if text is None and ("subject" in row or "message" in row):
        text = "\n".join(str(row.get(k) or "") for k in ("subject", "message"))
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty question")
    return text.strip()


def _red_flags(row: dict[str, Any]) -> tuple[str, ...] | None:
    if "red_flags" not in row:
        return None
    flags = _texts(row, "red_flags")
    unknown = sorted(set(flags) - RULE_IDS)
    if unknown:
        raise ValueError(
            f"unknown red-flag rule(s) {', '.join(unknown)}; known: {sorted(RULE_IDS)}"
        )
    return flags


def line_format(row: dict[str, Any]) -> str:
    if "must_have" in row and "answer" in row:
        return "kqa"
    if "reference_answers" in row:
        return "liveqa"
    if {"reference", "references", "red_flags"} & set(row):
        return "drafter"
    if "answer" in row:
        return "question-answer"
    raise ValueError(
        "no reference: need answer, reference(s), reference_answers or red_flags "
        "(see drafter/evaluation/sets.py)"
    )


def parse_item(row: dict[str, Any], default_id: str) -> tuple[str, EvalItem]:
    """One line as (its format, the item); ValueError says what is wrong with it."""
    fmt = line_format(row)
    if fmt == "liveqa":
        answers = row["reference_answers"] or []
        references = tuple(
            str(a["answer"]).strip()
            for a in answers
            if isinstance(a, dict) and str(a.get("answer") or "").strip()
        )
    elif fmt == "drafter":
        references = _texts(row, "reference") + _texts(row, "references")
    else:
        references = _texts(row, "answer")
    filters = Filters(specialty=row.get("specialty"), age_group=row.get("age_group"),
                      sex=row.get("sex"))  # fmt: skip
    item = EvalItem(
        id=str(row.get("id") or default_id),
        question=_question(row),
        references=references,
        must_have=_texts(row, "must_have"),
        nice_to_have=_texts(row, "nice_to_have"),
        red_flags=_red_flags(row),
        age_group=filters.age_group,
        sex=filters.sex,
        specialty=filters.specialty,
    )
    return fmt, item


def load_eval_set(path: Path, limit: int | None = None) -> EvalSet:
    """The first `limit` good items of a set; broken lines are reported and skipped."""
    items: list[EvalItem] = []
    issues: list[ImportIssue] = []
    formats: Counter[str] = Counter()
    seen: set[str] = set()
    for number, row in read_rows(path):
        if limit is not None and len(items) >= limit:
            break
        if isinstance(row, ImportIssue):
            issues.append(row)
            continue
        try:
            fmt, item = parse_item(row, f"{path.stem}-{number}")
        except (ValueError, TypeError, KeyError) as exc:
            issues.append(ImportIssue(path, number, str(exc) or type(exc).__name__))
            continue
        if item.id in seen:
            issues.append(ImportIssue(path, number, f"duplicate id {item.id!r}"))
            continue
        seen.add(item.id)
        formats[fmt] += 1
        items.append(item)
    if not items:
        detail = f" (first problem: {issues[0]})" if issues else ""
        raise InputError(f"{path}: no usable questions{detail}")
    return EvalSet(path, formats.most_common(1)[0][0], items, issues)
