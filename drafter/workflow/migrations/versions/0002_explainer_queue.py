"""the editors' More Info queue: explainer items (one per Q&A), their versions, decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:48:42.758696
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "explainer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("qa_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("doctor", sa.String(length=120), nullable=True),
        sa.Column("specialty", sa.String(length=80), nullable=True),
        sa.Column("age_group", sa.String(length=8), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("asked_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("qa_id"),
    )
    with op.batch_alter_table("explainer_items", schema=None) as batch_op:
        batch_op.create_index("ix_explainer_items_status", ["status", "id"], unique=False)

    op.create_table(
        "explainer_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("prompt_version", sa.String(length=400), nullable=True),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["explainer_items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "number"),
    )
    op.create_table(
        "explainer_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["explainer_items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["explainer_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("explainer_decisions")
    op.drop_table("explainer_versions")
    with op.batch_alter_table("explainer_items", schema=None) as batch_op:
        batch_op.drop_index("ix_explainer_items_status")

    op.drop_table("explainer_items")
