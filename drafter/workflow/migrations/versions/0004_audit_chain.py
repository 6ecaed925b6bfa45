"""the audit log's hash chain: prev_hash and row_hash on every row, existing rows chained in order
of id, and the one-row audit_lock that appends take first

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 10:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from drafter.workflow.audit import AuditEvent
from drafter.workflow.audit_chain import CHAINED, GENESIS, chain_hash
from drafter.workflow.tables import utcnow

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PAGE = 1000
LOG = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("question_id", sa.Integer()),
    sa.column("version_id", sa.Integer()),
    sa.column("model", sa.String()),
    sa.column("prompt_version", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)
HASHED = [c for c in LOG.c if c.name not in ("prev_hash", "row_hash")]


def upgrade() -> None:
    lock = op.create_table(
        "audit_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(lock, [{"id": 1, "taken": 0}])
    _without_triggers(_add_chain)


def downgrade() -> None:
    def drop_chain() -> None:
        with op.batch_alter_table("audit_log", schema=None) as batch_op:
            batch_op.drop_column("row_hash")
            batch_op.drop_column("prev_hash")

    _without_triggers(drop_chain)
    op.drop_table("audit_lock")


def _without_triggers(change: Any) -> None:
    """Run `change` with SQLite's append-only triggers dropped, then put them back."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}")
    change()
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )


def _add_chain() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)


def _chain_existing_rows() -> None:
    """Chain the rows in order of id, a page at a time; then, if there were any, append the
    `audit.chained` event that says so (rows before it may be out of time order)."""
    bind = op.get_bind()
    chain = (
        LOG.update()
        .where(LOG.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("prev"), row_hash=sa.bindparam("hash"))
    )
    prev, last, count = GENESIS, None, 0
    while True:
        page = sa.select(*HASHED).order_by(LOG.c.id).limit(PAGE)
        if last is not None:
            page = page.where(LOG.c.id > last.id)
        rows = [AuditEvent(**row._mapping) for row in bind.execute(page)]
        if not rows:
            break
        links = []
        for row in rows:
            digest = chain_hash(row, prev)
            links.append({"row_id": row.id, "prev": prev, "hash": digest})
            prev = digest
        bind.execute(chain, links)
        last, count = rows[-1], count + len(rows)
    if last is None:
        return
    event = AuditEvent(
        id=last.id + 1,
        at=max(utcnow(), last.at),
        actor="drafter",
        action=CHAINED,
        question_id=None,
        version_id=None,
        model=None,
        prompt_version=None,
        detail={"rows": count, "revision": revision},
    )
    bind.execute(
        LOG.insert().values(**vars(event), prev_hash=prev, row_hash=chain_hash(event, prev))
    )
