"""How records become stored rows: the text we index and the metadata we filter and show by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from drafter.core.records import FaqArticle, Kind, QAPair, Record

_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*$", re.M)
MAX_CHUNK_CHARS = 1500


@dataclass(frozen=True)
class IndexRow:
    kind: Kind
    id: str
    text: str
    metadata: dict[str, Any]


def qa_rows(record: QAPair) -> list[IndexRow]:
    """A Q&A is indexed by its title and question: we match new questions to past questions."""
    meta: dict[str, Any] = {
        "kind": "qa",
        "parent_id": record.id,
        "title": record.title,
        "question": record.question,
        "answer": record.answer,
        "specialty": record.specialty,
        "age_group": record.age_group,
        "sex": record.sex,
        "doctor": record.doctor,
        "asked_date": record.asked_date.isoformat() if record.asked_date else None,
        "asked_ord": int(record.asked_date.strftime("%Y%m%d")) if record.asked_date else None,
        "answer_date": record.answer_date.isoformat() if record.answer_date else None,
        "explainer": record.explainer,
        "url": record.source_url,
        "origin": record.origin,
    }
    return [IndexRow("qa", record.id, f"{record.title}\n{record.question}", meta)]


def qa_from_metadata(metadata: dict[str, Any]) -> QAPair:
    """The Q&A back from its stored metadata: the inverse of `qa_rows`."""
    fields = {name: metadata.get(name) for name in QAPair.model_fields}
    fields.update(id=metadata["parent_id"], source_url=metadata.get("url"))
    return QAPair.model_validate({k: v for k, v in fields.items() if v is not None})


def split_sections(body: str) -> list[tuple[str, str]]:
    """Markdown body -> [(heading, text)]; text before the first heading has heading ''."""
    sections: list[tuple[str, str]] = []
    marks = list(_HEADING.finditer(body))
    if not marks or marks[0].start() > 0:
        head = body[: marks[0].start()] if marks else body
        if head.strip():
            sections.append(("", head.strip()))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[mark.end() : end].strip()
        if text:
            sections.append((mark.group(1).strip(), text))
    return sections


def _pieces(text: str) -> list[str]:
    """Cut an over-long section at paragraph boundaries so each chunk fits the embedder."""
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    out, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) > MAX_CHUNK_CHARS:
            out.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    if current:
        out.append(current)
    return out


def faq_rows(record: FaqArticle) -> list[IndexRow]:
    """An article is indexed a section at a time (`id#n`); hits are folded back to the article."""
    rows: list[IndexRow] = []
    for heading, text in split_sections(record.body) or [("", record.body)]:
        for piece in _pieces(text):
            n = len(rows)
            label = f"{record.title} - {heading}" if heading else record.title
            meta = {
                "kind": "faq",
                "parent_id": record.id,
                "title": record.title,
                "section": heading,
                "chunk": n,
                "specialty": record.specialty,
                "url": record.url,
            }
            rows.append(IndexRow("faq", f"{record.id}#{n}", f"{label}\n{piece}", meta))
    return rows


def index_rows(record: Record) -> list[IndexRow]:
    return qa_rows(record) if isinstance(record, QAPair) else faq_rows(record)
