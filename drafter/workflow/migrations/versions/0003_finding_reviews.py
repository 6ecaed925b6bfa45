"""the doctors' reviews of triage findings: confirmed or dismissed, with a reason, append-only

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:12:05.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("finding_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_finding_reviews_question", ["question_id", "id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # A verdict is changed by a newer review, never by editing or deleting an old one.
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER finding_reviews_no_{verb.lower()} BEFORE {verb} "
                "ON finding_reviews "
                "BEGIN SELECT RAISE(ABORT, 'finding reviews are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS finding_reviews_no_{verb}")
    with op.batch_alter_table("finding_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_reviews_question")

    op.drop_table("finding_reviews")
