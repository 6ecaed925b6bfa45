"""Shared fixtures: the real local embedder, the sample knowledge base, isolated settings, a real
`chroma run` server and a real PostgreSQL server. Nothing here fakes a backend; everything lives
under temporary folders."""

from __future__ import annotations

import json
import os
import resource
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drafter.cli.main import main
from drafter.core.environment import go_offline
from drafter.core.settings import Settings, load_settings
from drafter.services import Services
from knowledge import sample_files
from knowledge.embeddings import Embedder
from knowledge.ingest import ImportReport, ingest_files
from knowledge.retrieval import HybridRetriever
from tests.support.postgres import (
    Databases,
    Kind,
    PostgresServer,
    postgres_bindir,
    running_postgres,
)
from tests.support.servers import (
    ChromaServer,
    ServerStartError,
    chroma_executable,
    free_port,
    serving_openai,
    stub_model_env,
)
from tests.support.workflow_kit import Desk, make_desk

go_offline()  # as the CLI and the app do on start

# ~1500 tests in one process open many stores, databases, servers and browsers; a machine whose
# soft open-file limit is 1024 would fail the last of them. Allowed up to the hard limit.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 65536 if _hard == resource.RLIM_INFINITY else _hard
if _soft != resource.RLIM_INFINITY and _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLE_FILES = sample_files()

WriteJsonl = Callable[[Path, Iterable[Mapping[str, Any] | str]], Path]
MakeSettings = Callable[..., Settings]
MakeKb = Callable[..., HybridRetriever]


@dataclass(frozen=True)
class SampleKb:
    settings: Settings
    retriever: HybridRetriever
    reports: list[ImportReport]

    def copy_to(self, target: Path) -> Path:
        """A private, writable copy of the store at `target`. The bundled model that a test may
        have assembled under data_dir/models (half a gigabyte) is left out: copied into every
        app test's folder it filled CI's disk."""
        import shutil

        shutil.copytree(self.settings.data_dir, target, ignore=shutil.ignore_patterns("models"))
        return target


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


RunCli = Callable[..., CliResult]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whatever needs the real embedding model is `slow` (`make test-fast` leaves it out)."""
    for item in items:
        if "embedder" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


# The workflow database's contract: the tests of these folders that take a database (`desk`,
# `database_url`, `databases`) run on SQLite and on a real PostgreSQL; elsewhere on SQLite alone.
BOTH_DATABASES = ("workflow", "review")
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    folder = Path(str(metafunc.definition.path)).parent
    if "databases" in metafunc.fixturenames and folder.name in BOTH_DATABASES:
        metafunc.parametrize("databases", DATABASES, indirect=True)


def _clean_env(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> None:
    """No DRAFTER_* leaks in from the caller, no `.env` is read, `var/` is never the default."""
    for name in list(os.environ):
        if name.startswith("DRAFTER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("DRAFTER_DATA_DIR", str(cwd / "data"))


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same isolation for session fixtures (they are set up before function ones)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clean_env(monkeypatch, tmp_path_factory.mktemp("session_cwd"))
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clean_env(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2, loaded once (make_embedder caches per process)."""
    model = Services(load_settings()).embedder()
    model.embed(["warm up"])
    return model


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> SampleKb:
    """The shipped sample (84 Q&As + 33 FAQ articles) ingested once; read-only for tests."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("sample_kb"))
    writer = Services(settings).retriever(store=Services(settings).store(create=True))
    reports = ingest_files(writer, SAMPLE_FILES)
    return SampleKb(settings, Services(settings).retriever(), reports)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on a free local port, for the whole session."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed: no initdb and postgres binaries found")
    with running_postgres(bindir, free_port()) as server:
        yield server


@pytest.fixture
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Iterator[Databases]:
    """This test's workflow databases: SQLite files, or (parametrised, see BOTH_DATABASES)
    databases of their own on the shared PostgreSQL server, dropped afterwards."""
    kind: Kind = getattr(request, "param", "sqlite")
    server = request.getfixturevalue("postgres_server") if kind == "postgresql" else None
    made = Databases(kind, tmp_path, tmp_path_factory, server)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def database_url(databases: Databases) -> str:
    """The URL of an empty workflow database (migrated by whoever opens it first)."""
    return databases.empty()


@pytest.fixture
def desk(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, databases: Databases
) -> Iterator[Desk]:
    """A private workflow database (a copy of one migrated once) with a user of each role."""
    desk = make_desk(tmp_path_factory, tmp_path, databases=databases)
    yield desk
    desk.workflow.sessions.kw["bind"].dispose()


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    """Settings over a fresh data dir under tmp_path; keyword overrides go to load_settings."""
    counter = iter(range(1_000_000))

    def make(**overrides: object) -> Settings:
        overrides.setdefault("data_dir", tmp_path / f"kb{next(counter)}")
        return load_settings(**overrides)

    return make


@pytest.fixture
def write_jsonl() -> WriteJsonl:
    """Write rows (dicts become JSON, strings are written verbatim) one per line."""

    def write(path: Path, rows: Iterable[Mapping[str, Any] | str]) -> Path:
        lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_kb(make_settings: MakeSettings, embedder: Embedder) -> MakeKb:
    """A small private store: ingest the given files, return a retriever over it."""

    def make(paths: Sequence[Path], settings: Settings | None = None, **kw: Any) -> HybridRetriever:
        settings = settings or make_settings()
        writer = Services(settings).retriever(store=Services(settings).store(create=True))
        ingest_files(writer, list(paths), **kw)
        return Services(settings).retriever()

    return make


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """`drafter ARGS...` in-process; returns exit code and captured stdout/stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on a free local port; yields its URL."""
    exe = chroma_executable()
    if exe is None:
        pytest.skip(f"chroma is not installed next to {sys.executable}")
    try:
        server = ChromaServer(exe, tmp_path_factory.mktemp("chroma_server")).start()
    except ServerStartError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _close_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every Services a test builds is closed after it: the suite runs in one process, and open
    Chroma clients and database pools would otherwise pile up to the open-file limit."""
    made: list[Services] = []
    build = Services.__init__

    def remembered(self: Services, settings: Settings | None = None) -> None:
        build(self, settings)
        made.append(self)

    monkeypatch.setattr(Services, "__init__", remembered)
    yield
    for services in made:
        services.close()


@pytest.fixture
def server_settings(chroma_server: str, make_settings: MakeSettings) -> Settings:
    """Settings pointing at the shared server, with a collection prefix of this test's own."""
    return make_settings(chroma_url=chroma_server, collection_prefix=f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
def openai_stub() -> Iterator[tuple[Any, str]]:
    """A real HTTP server on loopback speaking the OpenAI chat protocol; yields (stub, base_url)."""
    from tests.support.fakes import OpenAIStub

    stub = OpenAIStub()
    with serving_openai(stub) as url:
        yield stub, url


@dataclass(frozen=True)
class AppEnv:
    """A private copy of the sample KB, a workflow database with the demo users, and a stub
    OpenAI-compatible model server the app drafts with (DRAFTER_* set in the environment)."""

    settings: Settings
    stub: Any
    env: dict[str, str]
    services: Services

    def workflow(self) -> Any:
        return self.services.workflow()


@pytest.fixture
def app_env(
    sample_kb: SampleKb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppEnv]:

    import streamlit as st

    from drafter.workflow.accounts import DEMO_USERS, demo_password
    from tests.support.fakes import OpenAIStub, page_responder, serve_openai
    from tests.support.workflow_kit import add_staff

    data = sample_kb.copy_to(tmp_path / "app-data")
    stub = OpenAIStub(responder=page_responder)
    server, url = serve_openai(stub)
    env = {"DRAFTER_DATA_DIR": str(data), **stub_model_env(url)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    services = Services(settings)
    add_staff(
        services.workflow(), {r: (r, name, demo_password(r)) for r, name in DEMO_USERS.items()}
    )
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        yield AppEnv(settings, stub, env, services)
    finally:
        st.cache_resource.clear()  # closes the app's Services (on_release)
        st.cache_data.clear()
        server.shutdown()
        server.server_close()
