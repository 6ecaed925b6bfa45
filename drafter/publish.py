"""Approved answers join the knowledge base at once, so the next similar question finds them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from drafter.models import QAPair
from drafter.workflow import ApprovedPage, Publisher
from knowledge.importers import title_from
from knowledge.ingest import refresh_indexes, write_records
from knowledge.retrieval import HybridRetriever


def record_id(question_id: int) -> str:
    return f"drafter-q{question_id}"


def as_record(page: ApprovedPage) -> QAPair:
    q = page.question
    return QAPair(
        id=record_id(q.id),
        title=page.title.strip() or title_from(q.text),
        question=q.text,
        answer=page.reply,
        age_group=q.age_group,
        sex=q.sex,
        specialty=q.specialty,
        doctor=page.doctor,
        asked_date=q.created_at.date(),
        answer_date=date.today(),
        explainer=page.explainer,
    )


def knowledge_base_publisher(retriever: Callable[[], HybridRetriever]) -> Publisher:
    """Upsert the approved page as a Q&A (re-approval replaces it) and refresh the BM25 index.
    The retriever is built on first use: listing the inbox need not load the embedding model."""

    def publish(page: ApprovedPage) -> str:
        record = as_record(page)
        target = retriever()
        write_records(target, [record])
        refresh_indexes(target, ["qa"])
        return record.id

    return publish
