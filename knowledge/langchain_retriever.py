"""The knowledge base as a LangChain retriever, so chains can use it directly."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from drafter.core.records import Filters, Hit
from knowledge.retrieval import HybridRetriever


def hit_to_document(hit: Hit) -> Document:
    metadata: dict[str, Any] = dict(hit.metadata)
    metadata.update(
        id=hit.id, kind=hit.kind, title=hit.title, score=hit.score, ranks=hit.ranks, why=hit.why
    )
    return Document(page_content=hit.text, metadata=metadata, id=hit.id)


class KnowledgeRetriever(BaseRetriever):
    """Similar Q&As first, then related FAQ articles, each a Document with score and reasons."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    kind: Literal["qa", "faq", "both"] = "both"
    k: int = 4
    m: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.kind == "both":
            page = self.retriever.page(query, filters=self.filters, k=self.k, m=self.m)
            hits = page.similar_qa + page.related_faq
        else:
            size = self.k if self.kind == "qa" else self.m
            hits = self.retriever.search(query, kind=self.kind, k=size, filters=self.filters)
        return [hit_to_document(hit) for hit in hits]
