"""Approved answers and explainers join the knowledge base at once, so the next similar question
finds them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from drafter.core.errors import InputError
from drafter.core.records import QAPair
from drafter.workflow.drafts import ApprovedPage, Publisher
from drafter.workflow.explainers import ExplainerPublisher
from knowledge.documents import qa_from_metadata
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
        origin="doctor" if page.doctor_edited else "ai_unedited",
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


def knowledge_base_explainer_publisher(
    retriever: Callable[[], HybridRetriever],
) -> ExplainerPublisher:
    """Re-upsert each Q&A with its approved explainer and refresh the BM25 index; built on first
    use, so reading the queue does not load the embedding model."""

    def publish(texts: Mapping[str, str]) -> None:
        target = retriever()
        stored = target.store.get("qa", list(texts))
        records = [
            qa_from_metadata(item.metadata).model_copy(update={"explainer": texts[item.id]})
            for item in stored
        ]
        if records:
            write_records(target, records)
            refresh_indexes(target, ["qa"])
        missing = sorted(set(texts) - {item.id for item in stored})
        if missing:
            raise InputError(f"no longer in the knowledge base: {', '.join(missing)}")

    return publish
