"""Alembic environment: run by `drafter.workflow.database.upgrade()` with the connection it opened,
or by the `alembic` command line with `sqlalchemy.url` set."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from drafter.workflow.tables import Base


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url") or "").connect() as conn:
        run(conn)
