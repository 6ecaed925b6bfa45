"""QA review: the rating rubric, the two comparisons a reviewer rates, and stored ratings.

Comparison 1 sets the AI's first draft of a question against the text a doctor (or an editor)
approved. Comparison 2 is blind A/B: two model-written drafts of one question that differ in
prompt version or model, sides shuffled by a recorded seed; which is which is shown only after
the rating is saved. Ratings are stored by `drafter.workflow.ratings` through `Workflow.rate`
(reviewers only); the rubric scores and the A/B details are its `scores` JSON. The rubric itself
is `drafter.workflow.rubric`, so the one place that stores ratings validates them.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from drafter.core.errors import InputError
from drafter.review.diff import DiffOp, edit_distance, word_diff, words
from drafter.workflow.accounts import User, require
from drafter.workflow.doctor import Workflow
from drafter.workflow.drafts import Approval, Part, Version
from drafter.workflow.questions import Question
from drafter.workflow.ratings import StoredRating
from drafter.workflow.rubric import AXES, PREFERENCES, RUBRIC_ID, Preferred, validate_scores

# The rubric lives in `drafter.workflow.rubric`; callers keep importing it from here.
from drafter.workflow.rubric import RUBRIC as RUBRIC
from drafter.workflow.rubric import Axis as Axis

Mode = Literal["final", "ab", "single"]
_ALL = 1_000_000  # Workflow.questions pages at 500 by default; reviews read every question


# --- comparison 1: the AI draft against the approved final --------------------------------------


@dataclass(frozen=True)
class FinalPair:
    """A question's first AI draft and the text approved for one part of its page."""

    question: Question
    ai: Version
    final: Version
    approval: Approval
    part: Part

    @property
    def ai_text(self) -> str:
        return self.ai.text_of(self.part).strip()

    @property
    def final_text(self) -> str:
        return self.approval.final_text

    def diff(self) -> list[DiffOp]:
        return word_diff(self.ai_text, self.final_text)

    @cached_property  # quadratic in the changed stretch: computed once per pair
    def edit_distance(self) -> int:
        return edit_distance(self.ai_text, self.final_text)

    @property
    def normalised_edit_distance(self) -> float:
        longest = max(self.word_counts)
        return self.edit_distance / longest if longest else 0.0

    @property
    def word_counts(self) -> tuple[int, int]:
        return len(words(self.ai_text)), len(words(self.final_text))


def final_pair(workflow: Workflow, question: Question, part: Part = "reply") -> FinalPair | None:
    """The question's first "ai" version against its newest approval of `part`, if both exist."""
    approvals = [a for a in workflow.approvals(question.id) if a.part == part]
    if not approvals:
        return None
    return _final_pair(question, approvals[-1], workflow.versions(question.id), part)


def _final_pair(
    question: Question, approval: Approval, versions: Sequence[Version], part: Part
) -> FinalPair | None:
    ai = next((v for v in versions if v.kind == "ai"), None)
    final = next((v for v in versions if v.number == approval.version_number), None)
    if ai is None or final is None:
        return None
    return FinalPair(question, ai, final, approval, part)


def final_pairs(workflow: Workflow, part: Part = "reply") -> list[FinalPair]:
    """Every approved `part` with its AI draft, newest approval first: three queries, however
    many questions there are."""
    questions = workflow.questions(limit=_ALL)
    newest = {a.question_id: a for a in workflow.all_approvals(part)}  # oldest first: last wins
    versions: dict[int, list[Version]] = defaultdict(list)
    for version in workflow.approved_versions(part):
        versions[version.question_id].append(version)
    found = []
    for question in questions:
        approval = newest.get(question.id)
        if approval is None:
            continue
        if (pair := _final_pair(question, approval, versions[question.id], part)) is not None:
            found.append(pair)
    found.sort(key=lambda p: p.approval.approved_at, reverse=True)
    return found


# --- comparison 2: blind A/B --------------------------------------------------------------------


def _setup(version: Version) -> tuple[str | None, str | None]:
    return version.model, version.prompt_version


@dataclass(frozen=True)
class AbPair:
    """Two model-written drafts of one question from different prompt versions or models."""

    question: Question
    first: Version
    second: Version

    @property
    def key(self) -> str:
        return f"{self.question.id}:{self.first.id}:{self.second.id}"


def _comparable(version: Version) -> bool:
    """Written by the model as configured: not an edit, not steered by an instruction, whole."""
    return (
        version.kind in ("ai", "regenerate")
        and not version.instruction
        and not version.details.get("error")
        and bool(version.reply.strip())
    )


def ab_pairs(workflow: Workflow) -> list[AbPair]:
    """For each question, one pair per two setups (model, prompt versions) it was drafted with;
    a setup is represented by its first draft."""
    firsts: dict[int, dict[tuple[str | None, str | None], Version]] = {}
    for version in workflow.all_versions():  # two queries in all, however many questions
        if _comparable(version):
            firsts.setdefault(version.question_id, {}).setdefault(_setup(version), version)
    found = []
    for question in workflow.questions(limit=_ALL):
        drafts = list(firsts.get(question.id, {}).values())
        found += [AbPair(question, a, b) for i, a in enumerate(drafts) for b in drafts[i + 1 :]]
    found.sort(key=lambda p: p.question.id)
    return found


@dataclass(frozen=True)
class BlindPair:
    """An A/B pair as shown: which draft is A was decided by `seed`, kept with the rating."""

    pair: AbPair
    seed: int
    a: Version
    b: Version

    def side(self, label: Preferred) -> Version:
        if label == "tie":
            raise ValueError("a tie has no side")
        return self.a if label == "A" else self.b


def new_seed() -> int:
    return secrets.randbits(32)


def blind(pair: AbPair, seed: int) -> BlindPair:
    """Shuffle the sides; the same pair and seed always give the same order."""
    swap = random.Random(f"{pair.key}:{seed}").random() < 0.5
    a, b = (pair.second, pair.first) if swap else (pair.first, pair.second)
    return BlindPair(pair, seed, a, b)


def reveal(version: Version) -> str:
    """What a blind side was, said only after rating."""
    return (
        f"version {version.number} ({version.kind}) · model {version.model or 'unknown'} · "
        f"prompts {prompt_label(version.prompt_version)}"
    )


def prompt_label(prompt_version: str | None) -> str:
    """'title=title@v1#ab12, reply=short_reply@v2#cd34, ...' -> 'title v1 · reply v2 · ...'."""
    if not prompt_version:
        return "unknown"
    parts = []
    for item in prompt_version.split(","):
        part, _, ref = item.strip().partition("=")
        version = ref.partition("@")[2].partition("#")[0]
        parts.append(f"{part} {version}" if version else part)
    return " · ".join(parts)


# --- saving and reading ratings -----------------------------------------------------------------


def rate_final(
    workflow: Workflow, user: User, pair: FinalPair, scores: Mapping[str, object], comment: str = ""
) -> int:
    """Rate the AI draft of a FinalPair (the approved text is the reference); returns the id."""
    user = require(workflow.sessions, user, "rate")
    payload = {
        "rubric": RUBRIC_ID,
        "mode": "final",
        "part": pair.part,
        "axes": validate_scores(scores),
        "approval_id": pair.approval.id,
    }
    return workflow.rate(
        user, pair.ai.id, payload, comment=comment.strip(), other_version_id=pair.final.id
    )


def rate_blind(
    workflow: Workflow,
    user: User,
    shown: BlindPair,
    scores_a: Mapping[str, object],
    scores_b: Mapping[str, object],
    preferred: str | None,
    comment: str = "",
) -> int:
    """Rate both sides of a blind pair and say which is better; the seed and what stood behind
    A and B are stored with the rating."""
    user = require(workflow.sessions, user, "rate")
    if preferred not in PREFERENCES:
        raise InputError("say which draft is better: A, B or tie")
    payload = {
        "rubric": RUBRIC_ID,
        "mode": "ab",
        "part": "page",
        "axes": validate_scores(scores_a),
        "other_axes": validate_scores(scores_b),
        "preferred": preferred,
        "seed": shown.seed,
        "shown": {"A": shown.a.id, "B": shown.b.id},
    }
    return workflow.rate(
        user, shown.a.id, payload, comment=comment.strip(), other_version_id=shown.b.id
    )


@dataclass(frozen=True)
class Rating:
    """A stored rating. `axes` scores `version_id`; in A/B, `other_axes` scores the other side."""

    id: int
    version_id: int
    other_version_id: int | None
    reviewer: str
    created_at: datetime
    comment: str
    mode: Mode
    part: str
    axes: dict[str, int]
    other_axes: dict[str, int] | None = None
    preferred: Preferred | None = None
    seed: int | None = None

    @property
    def preferred_version_id(self) -> int | None:
        if self.preferred == "A":
            return self.version_id
        return self.other_version_id if self.preferred == "B" else None

    def scored(self) -> Iterable[tuple[int, dict[str, int]]]:
        """(version id, rubric scores) for every version this rating scores."""
        yield self.version_id, self.axes
        if self.other_axes is not None and self.other_version_id is not None:
            yield self.other_version_id, self.other_axes


def _known_axes(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        return {}
    return {k: v for k, v in raw.items() if k in AXES and isinstance(v, int)}


def _rating(row: StoredRating) -> Rating:
    scores: dict[str, Any] = row.scores
    structured = "axes" in scores
    mode: Mode = (
        scores["mode"] if structured and scores.get("mode") in ("final", "ab") else "single"
    )
    return Rating(
        row.id,
        row.version_id,
        row.other_version_id,
        row.reviewer,
        row.created_at,
        row.comment,
        mode,
        str(scores.get("part", "page")),
        _known_axes(scores["axes"] if structured else scores),
        _known_axes(scores["other_axes"]) if "other_axes" in scores else None,
        scores.get("preferred") if scores.get("preferred") in PREFERENCES else None,
        scores.get("seed"),
    )


def ratings(workflow: Workflow, *, reviewer: str | None = None) -> list[Rating]:
    """Stored ratings, oldest first; ratings from before the rubric keep the axes it knows."""
    return [_rating(row) for row in workflow.ratings(reviewer=reviewer)]
