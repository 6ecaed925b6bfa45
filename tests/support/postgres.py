"""A real PostgreSQL server for the tests, and the workflow databases of one kind that a test gets.

The server is `initdb` in a temporary folder and `postgres` on a free loopback port, with trust
authentication and no fsync (nothing here must survive a crash). `initdb` refuses to run as root,
and CI runs the tests as root: then the folder is handed to `nobody` and the server runs as it.
`stop` and `start` take the server down (fast shutdown, ending the sessions open) and bring it
back on the same port with the same data, for the fault tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.support.servers import ServerStartError

Kind = Literal["sqlite", "postgresql"]
SUPERUSER = "drafter"
START_SECONDS = 60.0
# The binaries of Debian's packages are not on PATH; `pg_config --bindir` names them.
INSTALLED = Path("/usr/lib/postgresql")


def postgres_bindir() -> Path | None:
    """The folder holding `initdb` and `postgres`: pg_config's, else the newest under
    /usr/lib/postgresql; None when there is none."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    if INSTALLED.is_dir():
        versions = [p for p in INSTALLED.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: -int(p.name))]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


def _unprivileged() -> dict[str, Any]:
    """Popen's arguments that run the server as `nobody` when we are root, else nothing."""
    if os.geteuid() != 0:
        return {}
    try:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    except KeyError:
        uid = gid = 65534
    return {"user": uid, "group": gid, "extra_groups": []}


def _hand_over(root: Path, run_as: dict[str, Any]) -> None:
    for path in (root, *root.rglob("*")):
        os.chown(path, run_as["user"], run_as["group"])


@dataclass
class PostgresServer:
    """A running server: a URL per database, and databases made and dropped by its superuser."""

    port: int
    root: Path
    process: subprocess.Popen[bytes] | None
    templates: set[str] = field(default_factory=set)
    bindir: Path | None = None  # with `command` and `run_as`, what `start` needs
    command: list[str] = field(default_factory=list)
    run_as: dict[str, Any] = field(default_factory=dict)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def admin(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE and DROP DATABASE need that)."""
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]  # names made here, not input

    def create_database(self, name: str, template: str = "template0") -> str:
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING UTF8')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it, ending the connections still open to it (engines a test left behind)."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log_tail(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")[-2000:]

    def start(self) -> PostgresServer:
        """Start `postgres` on its port and data folder and wait until it accepts connections;
        PostgresStartError (with the log's tail) if it does not within START_SECONDS."""
        if self.bindir is None or not self.command:
            raise PostgresStartError("a PostgresServer is started by running_postgres first")
        with (self.root / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, **self.run_as
            )
        try:
            _wait_until_ready(self.bindir, self)
        except PostgresStartError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Fast shutdown (what `pg_ctl stop -m fast` sends): the sessions still open are ended,
        the data is kept; killed if it takes longer than 30 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class PostgresStartError(ServerStartError):
    """initdb failed, or the server did not come up; the message ends with its log."""


@contextmanager
def running_postgres(bindir: Path, port: int) -> Iterator[PostgresServer]:
    """initdb, start `postgres` on 127.0.0.1:`port`, wait until it accepts connections; stop it
    (fast shutdown) and remove its folder on the way out."""
    run_as = _unprivileged()
    # pytest's own temporary folders are private to root, so nobody could not reach one there.
    root = Path(tempfile.mkdtemp(prefix="drafter-postgres-", dir="/tmp" if run_as else None))
    (root / "socket").mkdir()
    if run_as:
        _hand_over(root, run_as)
    log = (root / "server.log").open("ab")
    try:
        initdb = [str(bindir / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, "-A", "trust"]
        initdb += ["-E", "UTF8", "--locale=C", "--no-sync"]
        if subprocess.run(initdb, stdout=log, stderr=subprocess.STDOUT, **run_as).returncode:
            log.flush()
            raise PostgresStartError(
                f"initdb failed:\n{(root / 'server.log').read_text(errors='replace')}"
            )
        settings = {
            "listen_addresses": "127.0.0.1",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        command = [str(bindir / "postgres"), "-D", str(root / "data"), "-p", str(port)]
        command += ["-k", str(root / "socket")]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        server = PostgresServer(port, root, None, bindir=bindir, command=command, run_as=run_as)
        try:
            yield server.start()
        finally:
            server.stop()
    finally:
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(bindir: Path, server: PostgresServer) -> None:
    ready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(server.port)]
    deadline = time.monotonic() + START_SECONDS
    while subprocess.run(ready + ["-U", SUPERUSER, "-d", "postgres"]).returncode != 0:
        exited = server.process is None or server.process.poll() is not None
        if exited or time.monotonic() > deadline:
            raise PostgresStartError(
                f"postgres did not come up on port {server.port}:\n{server.log_tail()}"
            )
        time.sleep(0.1)


# A template's builder writes into the empty database at the URL it is given and closes it.
Build = Callable[[str], None]
_sqlite_templates: dict[str, Path] = {}


@dataclass
class Databases:
    """New workflow databases of one kind for one test: SQLite files in its folder, or databases
    on the shared PostgreSQL server, dropped when the test ends (`close`)."""

    kind: Kind
    folder: Path
    factory: pytest.TempPathFactory
    server: PostgresServer | None = None
    made: list[str] = field(default_factory=list)

    def empty(self, name: str = "empty") -> str:
        """The URL of a database with no tables yet (the first open migrates it)."""
        if self.server is None:
            return f"sqlite:///{self.folder / f'{name}.db'}"
        return self._create("template0")

    def copy_of(self, template: str, build: Build) -> str:
        """The URL of a new database holding what `build` wrote into an empty one; the template
        is built once per session and copied (a file copy, or CREATE DATABASE ... TEMPLATE)."""
        if self.server is None:
            source = _sqlite_templates.get(template)
            if source is None:
                source = self.factory.mktemp(template) / "drafter.db"
                build(f"sqlite:///{source}")
                _sqlite_templates[template] = source
            path = self.folder / "drafter.db"
            shutil.copy(source, path)
            return f"sqlite:///{path}"
        if template not in self.server.templates:
            build(self.server.create_database(template))
            self.server.templates.add(template)
        return self._create(template)

    def _create(self, template: str) -> str:
        assert self.server is not None
        name = f"t_{uuid.uuid4().hex[:16]}"
        url = self.server.create_database(name, template)
        self.made.append(name)
        return url

    def close(self) -> None:
        if self.server is not None:
            for name in self.made:
                self.server.drop_database(name)
        self.made.clear()
