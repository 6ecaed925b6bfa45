"""Scoring `drafter eval`'s drafts: every measure of one draft, and the figures over a run.

The drafts' sentences, the sources they were given, the references and the gold statements are
embedded with the run's embedder (each text once) and compared with drafter.evaluation.measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from drafter.evaluation import measures
from drafter.evaluation.sets import EvalItem

if TYPE_CHECKING:
    from knowledge.embeddings import Embedder

ANSWER_MARK = "Doctor's answer:"


class DraftedItem(Protocol):
    """A finished draft as drafting stored it (drafter.jobs.evaluate.DraftRecord)."""

    @property
    def draft(self) -> dict[str, Any]: ...

    @property
    def seconds(self) -> float: ...

    @property
    def reply_sources(self) -> int: ...


class VectorCache:
    """Embeds texts once; sentences repeat across items (the same sources, the same advice)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def sentences_of(text: str) -> list[str]:
    return measures.split_sentences(text, min_words=measures.MIN_SENTENCE_WORDS)


def source_facts(source: dict[str, Any]) -> str:
    """What a source states: a past Q&A's excerpt without its patient's question (drafter.
    drafting.sources.build_sources writes "Question: ... Doctor's answer: ..."), an article's as
    is."""
    excerpt = str(source.get("excerpt", ""))
    if source.get("kind") == "qa" and ANSWER_MARK in excerpt:
        return excerpt.split(ANSWER_MARK, 1)[1]
    return excerpt


def score_item(
    item: EvalItem, record: DraftedItem, vectors: VectorCache, threshold: float
) -> dict[str, Any]:
    """Every measure of one draft, with the texts a reader of the report needs."""
    draft = record.draft
    reply, explainer = draft.get("reply", ""), draft.get("explainer", "")
    answer = "\n\n".join(t for t in (reply, explainer) if t)
    sources = draft.get("sources", [])
    citations = measures.citation_score(
        [("reply", reply, record.reply_sources), ("explainer", explainer, len(sources))]
    )
    sentences, reply_sentences = sentences_of(answer), sentences_of(reply)
    source_vectors = vectors([s for src in sources for s in sentences_of(source_facts(src))])
    answer_vectors = vectors(sentences)
    statements = [*item.must_have, *item.nice_to_have]
    matches = measures.match_statements(
        statements,
        vectors(statements),
        [True] * len(item.must_have) + [False] * len(item.nice_to_have),
        sentences,
        answer_vectors,
        threshold,
    )
    reference_cosines = [
        measures.centroid_cosine(answer_vectors, vectors(sentences_of(ref)))
        for ref in item.references
    ]
    rouges = [measures.rouge_l(answer, ref) for ref in item.references]
    found_flags = [f["rule_id"] for f in draft.get("red_flags", [])]
    return {
        "id": item.id,
        "question": item.question,
        "references": list(item.references),
        "title": draft.get("title", ""),
        "reply": reply,
        "explainer": explainer,
        "status": draft.get("status"),
        "error": draft.get("error"),
        "problems": draft.get("problems", []),
        "cannot_answer": bool(draft.get("cannot_answer")),
        "sources": [{"n": s["n"], "id": s["id"], "title": s["title"]} for s in sources],
        "prompt_version": draft.get("prompt_version", {}),
        "timings": draft.get("timings", {}),
        "seconds": round(record.seconds, 3),
        "citations": {
            "cited": citations.cited,
            "valid": citations.valid,
            "validity": citations.validity,
            "issues": citations.issues,
        },
        "groundedness": measures.share_supported(answer_vectors, source_vectors, threshold),
        "groundedness_reply": measures.share_supported(
            vectors(reply_sentences), source_vectors, threshold
        ),
        "reference_similarity": max((c for c in reference_cosines if c is not None), default=None),
        "rouge_l": max((r for r in rouges if r is not None), default=None),
        "grade_level": measures.flesch_kincaid_grade(answer),
        "grade_level_reply": measures.flesch_kincaid_grade(reply),
        "words_reply": len(measures.words(reply)),
        "words_explainer": len(measures.words(explainer)),
        "statements": [m.to_json() for m in matches],
        "comprehensiveness": measures.comprehensiveness(matches),
        **verdict_measures(draft.get("sentences", [])),
        "contradictions": measures.contradictions(matches) if matches else None,
        "red_flags": {"expected": item.red_flags, "found": found_flags},
    }


def verdict_measures(sentences: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the draft's own sentence check found (the `sentences` a draft carries): the share of
    its claims (sentences not `general`) a source supports, the share of its cited sentences
    that the cited source supports, and the red verdicts counted."""
    verdicts = [str(s.get("verdict")) for s in sentences]
    claims = [v for v in verdicts if v != "general"]
    cited = [str(s.get("verdict")) for s in sentences if s.get("cited")]
    return {
        "supported": round(claims.count("supported") / len(claims), 4) if claims else None,
        "cited_supported": round(cited.count("supported") / len(cited), 4) if cited else None,
        "cited_sentences": len(cited),
        "about_the_patient": verdicts.count("about_the_patient"),
        "wrong_voice": verdicts.count("wrong_voice"),
    }


def score_all(
    items: Sequence[EvalItem],
    records: Mapping[str, DraftedItem],
    embedder: Embedder,
    threshold: float = measures.SUPPORT_THRESHOLD,
) -> list[dict[str, Any]]:
    """Every item's measures, in the set's order; each text is embedded once."""
    vectors = VectorCache(embedder)
    return [score_item(item, records[item.id], vectors, threshold) for item in items]


def aggregate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures over all items; a measure no item has (e.g. no gold statements) is None."""

    def avg(key: str) -> float | None:
        return measures.mean(i[key] for i in items)

    cited = sum(i["citations"]["cited"] for i in items)
    seconds = [i["seconds"] for i in items]
    kqa = [i for i in items if i["comprehensiveness"] is not None]
    flags = measures.red_flag_score(
        (i["red_flags"]["expected"], i["red_flags"]["found"]) for i in items
    )
    p50, p95 = measures.quantile(seconds, 0.5), measures.quantile(seconds, 0.95)
    return {
        "items": len(items),
        "complete": sum(i["status"] == "complete" for i in items),
        "errors": sum(i["error"] is not None for i in items),
        "cannot_answer": sum(i["cannot_answer"] for i in items),
        "citation_validity": round(sum(i["citations"]["valid"] for i in items) / cited, 4)
        if cited
        else None,
        "citation_issue_free": round(
            sum(not i["citations"]["issues"] for i in items) / len(items), 4
        )
        if items
        else None,
        "groundedness": avg("groundedness"),
        "supported": avg("supported"),
        "cited_supported": round(
            sum((i["cited_supported"] or 0) * i["cited_sentences"] for i in items)
            / sum(i["cited_sentences"] for i in items),
            4,
        )
        if any(i["cited_sentences"] for i in items)
        else None,
        "cited_sentences": sum(i["cited_sentences"] for i in items),
        "about_the_patient": sum(i["about_the_patient"] for i in items),
        "wrong_voice": sum(i["wrong_voice"] for i in items),
        "groundedness_reply": avg("groundedness_reply"),
        "reference_similarity": avg("reference_similarity"),
        "rouge_l": avg("rouge_l"),
        "grade_level": avg("grade_level"),
        "grade_level_reply": avg("grade_level_reply"),
        "words_reply": avg("words_reply"),
        "words_explainer": avg("words_explainer"),
        "kqa_items": len(kqa),
        "comprehensiveness": avg("comprehensiveness"),
        "hallucination": measures.mean(i["contradictions"] for i in kqa),
        "answers_with_contradiction": round(sum(i["contradictions"] > 0 for i in kqa) / len(kqa), 4)
        if kqa
        else None,
        "red_flag_labelled": flags.labelled,
        "red_flag_recall": flags.recall,
        "red_flag_false_alarm_rate": flags.false_alarm_rate,
        "latency_mean": avg("seconds"),
        "seconds_total": round(sum(seconds), 1),  # drafting time, resumed runs included
        "latency_p50": round(p50, 3) if p50 is not None else None,
        "latency_p95": round(p95, 3) if p95 is not None else None,
    }
