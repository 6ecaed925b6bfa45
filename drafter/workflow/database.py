"""The workflow database: an engine for the configured URL, upgraded to the newest schema.

SQLite (the default) gets WAL mode and a busy timeout so the app and the CLI can write at once.
PostgreSQL goes through the bundled psycopg 3 driver (`postgresql://` is taken to mean
`postgresql+psycopg://`); any other SQLAlchemy URL is used as given. Openers that start together
migrate one at a time: SQLite's write lock, PostgreSQL's advisory lock.

A database server that cannot be reached (down, restarting, its connection cut) is a
DatabaseUnavailableError (exit code 4) from whatever statement met it, not SQLAlchemy's
OperationalError; the engine drops the dead connection, and `pool_pre_ping` replaces pooled
connections a restart has killed, so the same engine works again once the server is back.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from drafter.core.errors import BackendUnavailableError, SettingsError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's `context` and `op` are process-wide: one migration at a time in this process.
_MIGRATING = threading.Lock()
# SQLite answers "database is locked" at once, without its busy timeout, in a few cases (another
# connection switching the file to WAL or recovering it); opening retries for this long.
LOCKED_RETRY_SECONDS = 30.0
# The key of the PostgreSQL advisory lock that one migrating opener holds (any constant bigint).
MIGRATION_LOCK = 0x64726166746572  # "drafter"
# How long connecting to a database server may take (libpq counts whole seconds, at least 2).
CONNECT_SECONDS = 30.0


class DatabaseUnavailableError(BackendUnavailableError):
    """The database server does not answer, or the connection to it broke mid-statement."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def make_engine(url: str, *, connect_timeout: float = CONNECT_SECONDS) -> Engine:
    """An engine for `url`; connecting to a server gives up after `connect_timeout` seconds."""
    try:
        parsed = make_url(url)  # any SQLite file URL, e.g. also sqlite+pysqlite:///x.db
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if parsed.drivername == "postgresql":  # SQLAlchemy's default would be psycopg2
            parsed = parsed.set(drivername="postgresql+psycopg")
        seconds = max(2, math.ceil(connect_timeout))
        connect_args = (
            {"connect_timeout": seconds} if parsed.get_backend_name() == "postgresql" else {}
        )
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        event.listen(engine, "handle_error", _unreachable)
        return engine
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise SettingsError(f"bad setting DRAFTER_DATABASE_URL: {exc}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _unreachable(context: ExceptionContext) -> None:
    """Raise DatabaseUnavailableError for a server that refused a connection or dropped one;
    SQLAlchemy still invalidates the dead connection. Not while pre-pinging a pooled connection
    (a failed ping is how the pool finds a dead one and reconnects) and not for SQLite, whose
    OperationalErrors are lock waits and bad files, not a server away."""
    if context.is_pre_ping or context.dialect.name == "sqlite":
        return
    original = context.original_exception
    connecting = context.connection is None and isinstance(
        original, context.dialect.loaded_dbapi.OperationalError
    )
    if not (context.is_disconnect or connecting):
        return
    reason = (str(original).strip().splitlines() or [type(original).__name__])[0].strip()
    url = context.engine.url if context.engine is not None else "(DRAFTER_DATABASE_URL)"
    raise DatabaseUnavailableError(
        f"the database {url!r} does not answer (DRAFTER_DATABASE_URL): {reason}", reason
    )


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; existing rows are kept."""
    deadline = time.monotonic() + LOCKED_RETRY_SECONDS
    while True:
        try:
            _upgrade_once(engine)
            return
        except DatabaseUnavailableError as exc:
            raise BackendUnavailableError(
                f"cannot open the database {engine.url!r}: {exc.reason}"
            ) from None
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise BackendUnavailableError(
                    f"cannot open the database {engine.url!r}: {exc.orig}"
                ) from None
            time.sleep(0.05)


def _upgrade_once(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _MIGRATING, engine.begin() as connection:
        # another process migrating: wait until it commits, then see the revision it left
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        if _current(connection) == ScriptDirectory.from_config(config).get_current_head():
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _current(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str, *, connect_timeout: float = CONNECT_SECONDS) -> sessionmaker[Session]:
    engine = make_engine(url, connect_timeout=connect_timeout)
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
