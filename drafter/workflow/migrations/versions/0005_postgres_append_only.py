"""PostgreSQL: the audit log and the finding reviews append-only, as SQLite's triggers keep them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-16 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# table -> the trigger that refuses to change its rows, and the message (SQLite's, 0001 and 0003)
GUARDED = {
    "audit_log": ("audit_log_append_only", "the audit log is append-only"),
    "finding_reviews": ("finding_reviews_append_only", "finding reviews are append-only"),
}
FUNCTION = "drafter_append_only"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has its row triggers since 0001 and 0003
    # A statement-level trigger: UPDATE, DELETE and TRUNCATE are refused whatever rows they name.
    # SQLSTATE 23001 (restrict_violation) is an integrity error, as SQLite's RAISE(ABORT) is.
    op.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%: % on % refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table, (trigger, message) in GUARDED.items():
        op.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{message}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (trigger, _) in GUARDED.items():
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
