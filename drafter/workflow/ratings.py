"""Reviewers' ratings of draft versions: stored as append-only rows, read back for the reviews.

A rating is its version(s), its reviewer, its comment and its `scores` JSON, checked against the
rubric's scales (`rubric`) before it is stored; the comparisons and the dashboard built on them are
`drafter.review`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import InputError
from drafter.workflow import audit
from drafter.workflow.accounts import User, require
from drafter.workflow.rubric import validate_rating
from drafter.workflow.tables import RatingRow, VersionRow


@dataclass(frozen=True)
class StoredRating:
    """A rating as stored; `scores` scores `version_id` (and, in A/B, the other side)."""

    id: int
    version_id: int
    other_version_id: int | None
    reviewer: str
    created_at: datetime
    comment: str
    scores: dict[str, Any]


@dataclass(frozen=True)
class RatedVersion:
    """How a rated version was drafted: its question, model and prompt versions."""

    question_id: int
    model: str | None
    prompt_version: str | None


def add_rating(
    sessions: sessionmaker[Session],
    user: User,
    version_id: int,
    scores: dict[str, Any],
    *,
    comment: str = "",
    other_version_id: int | None = None,
) -> int:
    """Store a reviewer's rating of a version (against another, if given); returns its id.
    The scores are checked here, whoever calls (`rubric.validate_rating`)."""
    user = require(sessions, user, "rate")
    scores = validate_rating(scores)
    with sessions.begin() as session:
        version = session.get(VersionRow, version_id)
        if version is None:
            raise InputError(f"there is no draft version with id {version_id}")
        if other_version_id is not None and session.get(VersionRow, other_version_id) is None:
            raise InputError(f"there is no draft version with id {other_version_id}")
        row = RatingRow(
            version_id=version_id,
            other_version_id=other_version_id,
            reviewer=user.username,
            scores=scores,
            comment=comment,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            user.username,
            "rate",
            question_id=version.question_id,
            version_id=version_id,
            scores=scores,
        )
        return row.id


def list_ratings(
    sessions: sessionmaker[Session], *, reviewer: str | None = None
) -> list[StoredRating]:
    """Stored ratings, oldest first, of one reviewer if given."""
    query = select(RatingRow).order_by(RatingRow.id)
    if reviewer:
        query = query.where(RatingRow.reviewer == reviewer)
    with sessions() as session:
        return [
            StoredRating(
                row.id,
                row.version_id,
                row.other_version_id,
                row.reviewer,
                row.created_at,
                row.comment,
                dict(row.scores or {}),
            )
            for row in session.scalars(query)
        ]


def rated_versions(
    sessions: sessionmaker[Session], version_ids: Iterable[int]
) -> dict[int, RatedVersion]:
    """The drafting setup of each of these versions, by id, in one query."""
    wanted = set(version_ids)
    if not wanted:
        return {}
    query = select(
        VersionRow.id, VersionRow.question_id, VersionRow.model, VersionRow.prompt_version
    ).where(VersionRow.id.in_(wanted))
    with sessions() as session:
        return {
            vid: RatedVersion(qid, model, prompt)
            for vid, qid, model, prompt in session.execute(query)
        }
