"""Read Q&As and FAQ articles from files: our JSONL schema, mapped CSV/JSONL, and public sets.

Every reader yields `(line_number, record_or_issue)`: a broken line becomes an ImportIssue naming
its file and line, and reading goes on.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drafter.core.errors import InputError
from drafter.core.records import FaqArticle, QAPair, Record

Row = dict[str, Any]


@dataclass(frozen=True)
class ImportIssue:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


Parsed = tuple[int, Record | ImportIssue]


def _stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{digest}"


def title_from(text: str, limit: int = 90) -> str:
    """A title for records that have none: the first sentence, cut at a word boundary."""
    first = re.split(r"(?<=[.?!])\s", " ".join(text.split()), maxsplit=1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def _blank_to_none(row: Mapping[str, Any]) -> Row:
    return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in row.items()}


# --- converters: one per format, each from a raw row to a domain record ---------------------


def from_drafter(row: Row) -> Record:
    """Our own schema (knowledge/SCHEMA.md): `kind` optional, detected from the fields."""
    row = dict(row)
    kind = row.pop("kind", None) or ("faq" if "body" in row else "qa")
    if kind == "faq":
        return FaqArticle(**row)
    if kind == "qa":
        return QAPair(**row)
    raise ValueError(f"kind must be 'qa' or 'faq', got {kind!r}")


def from_medquad_article(row: Row) -> Record:
    title = row.get("title") or row.get("topic") or title_from(row["text"].lstrip("# "))
    return FaqArticle(id=row["id"], title=title, body=row["text"], url=row.get("source_url"))


def from_medquad_qa(row: Row) -> Record:
    return FaqArticle(
        id=row["id"], title=f"{row['title']}: {row['question']}", body=row["answer"],
        url=row.get("source_url"),
    )  # fmt: skip


def from_doctor_qa(row: Row) -> Record:
    return QAPair(
        id=row["id"], title=row.get("title") or title_from(row["question"]),
        question=row["question"], answer=row["answer"], doctor=row.get("answer_author"),
        specialty=row.get("specialty"), source_url=row.get("source_url"),
    )  # fmt: skip


def from_question_answer(row: Row) -> Record:
    """K-QA, MedicationQA and other {id, question, answer} sets."""
    return QAPair(
        id=row.get("id") or _stable_id("qa", row["question"]),
        title=row.get("title") or title_from(row["question"]),
        question=row["question"], answer=row["answer"], source_url=row.get("source_url"),
    )  # fmt: skip


def from_liveqa(row: Row) -> Record:
    answers = row.get("reference_answers") or []
    if not answers:
        raise ValueError("question has no reference answer")
    return QAPair(
        id=row["id"], title=row.get("subject") or title_from(row["message"]),
        question=row.get("message") or row["question"], answer=answers[0]["answer"],
        source_url=answers[0].get("url"),
    )  # fmt: skip


def from_covid_faq(row: Row) -> Record:
    return FaqArticle(
        id=row["id"], title=row["question"], body=row["answer"],
        url=(row.get("source_url") or "").strip() or None, specialty="Infectious Disease",
    )  # fmt: skip


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    signature: frozenset[str]  # fields whose presence identifies the format
    convert: Callable[[Row], Record]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("medquad-articles", "MedQuAD articles -> FAQ",
               frozenset({"sections", "text", "umls_cuis"}), from_medquad_article),
        Format("medquad-qa", "MedQuAD question sections -> FAQ",
               frozenset({"qid", "question_type", "document_id", "answer"}), from_medquad_qa),
        Format("doctor-qa", "scraped ask-a-doctor pages -> Q&A",
               frozenset({"site", "answer_author", "question", "answer"}), from_doctor_qa),
        Format("liveqa", "TREC LiveQA questions with reference answers -> Q&A",
               frozenset({"reference_answers", "message"}), from_liveqa),
        Format("covid-faq", "deepset COVID FAQ -> FAQ",
               frozenset({"source_name", "question", "answer", "country"}), from_covid_faq),
        Format("drafter", "Drafter's own schema (knowledge/SCHEMA.md)",
               frozenset({"id", "title"}), from_drafter),
        Format("question-answer", "any {question, answer} set (K-QA, MedicationQA) -> Q&A",
               frozenset({"question", "answer"}), from_question_answer),
    )
}  # fmt: skip


# Fields only our own schema has: a row with any of them is ours, even if it is incomplete.
_DRAFTER_ONLY = frozenset(QAPair.model_fields) | frozenset(FaqArticle.model_fields)
_DRAFTER_ONLY -= {"id", "title", "question", "answer", "source_url", "url", "specialty"}


def detect_format(row: Row) -> Format:
    """Our schema if the row has a field only it has; else the first format whose fields match."""
    keys = set(row)
    if keys & (_DRAFTER_ONLY | {"kind"}):
        return FORMATS["drafter"]
    for fmt in FORMATS.values():
        if fmt.signature <= keys:
            return fmt
    raise InputError(
        f"cannot tell the format from fields {sorted(keys)[:8]}: "
        "pass --format, or --map FIELD=COLUMN with --kind"
    )


DETECT_ROWS = 20


def _detect(rows: Iterable[Row]) -> Format:
    """The format of a file from its first rows: ours if any row is clearly ours, else the
    format most rows match (so one incomplete first row cannot change the format)."""
    found = [detect_format(row) for row in rows]
    if not found:
        return FORMATS["drafter"]
    if any(f.name == "drafter" for f in found):
        return FORMATS["drafter"]
    return FORMATS[Counter(f.name for f in found).most_common(1)[0][0]]


def mapped_converter(mapping: Mapping[str, str], kind: str) -> Callable[[Row], Record]:
    """Generic CSV/JSONL: `mapping` says which column holds each field of our schema."""
    model = QAPair if kind == "qa" else FaqArticle
    unknown = set(mapping) - set(model.model_fields)
    if unknown:
        raise InputError(f"--map names unknown {kind} fields: {', '.join(sorted(unknown))}")

    def convert(row: Row) -> Record:
        missing = [col for col in mapping.values() if col not in row]
        if missing:
            raise ValueError(f"missing column(s): {', '.join(missing)}")
        data = {field: row[col] for field, col in mapping.items()}
        text = data.get("question") or data.get("body") or ""
        if not data.get("title") and text:
            data["title"] = title_from(str(text))
        if not data.get("id"):
            data["id"] = _stable_id(kind, str(data.get("title", "")), str(text))
        return model(**data)

    return convert


# --- readers ----------------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[tuple[int, Row | ImportIssue]]:
    """Rows of a .jsonl or .csv file with their 1-based line numbers."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, _blank_to_none(row)
        return
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, ImportIssue(path, number, f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(row, dict):
                yield number, ImportIssue(path, number, "not a JSON object")
                continue
            if not _encodable(row):
                yield (
                    number,
                    ImportIssue(path, number, "not text: a lone surrogate (\\ud800-\\udfff)"),
                )
                continue
            yield number, row


def _encodable(row: Row) -> bool:
    """Whether every string in the row is text UTF-8 can store (JSON's `\\ud800` is not)."""
    try:
        json.dumps(row, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"]) or "record"
            parts.append(f"{where}: {err['msg']}")
        return "; ".join(parts)
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def parse_file(
    path: Path,
    fmt: str = "auto",
    *,
    mapping: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Iterator[Parsed]:
    """Records of a file in a known format (detected from its first rows) or mapped."""
    if mapping:
        convert = mapped_converter(mapping, kind or ("faq" if "body" in mapping else "qa"))
    elif fmt != "auto":
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
        convert = FORMATS[fmt].convert
    else:
        head = list(itertools.islice(read_rows(path), DETECT_ROWS))
        convert = _detect(row for _, row in head if not isinstance(row, ImportIssue)).convert
    for number, row in read_rows(path):
        if isinstance(row, ImportIssue):
            yield number, row
            continue
        try:
            yield number, convert(row)
        except (ValidationError, KeyError, ValueError, TypeError, AttributeError) as exc:
            yield number, ImportIssue(path, number, _describe(exc))


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
