"""The deployment recipe matches the code: deploy/'s files parse, name only real settings and
commands, agree with each other and with docs/operations.md on ports, paths and names. No
network, no docker: the files are read, and the commands they run are asked for their --help."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy.engine import make_url
from streamlit.web.server.starlette.starlette_routes import ROUTE_HEALTH
from streamlit.web.server.starlette.starlette_websocket import _ROUTE_WEBSOCKET_STREAM

from bench.load import settings_from
from drafter.cli.main import build_parser
from drafter.core.settings import Settings
from tests.conftest import RunCli
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = {p.name: p for p in sorted((DEPLOY / "systemd").glob("*.service"))}
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
# The deployment's part of docs/operations.md: its two sections.
RECIPE = OPERATIONS.split("## Running it for a clinic", 1)[1].split("## Deadlines", 1)[0]
INSTALLED = "/opt/drafter/.venv/bin/"  # where the recipe installs Drafter (`make` in /opt/drafter)
HEALTH = f"/{ROUTE_HEALTH}"
STREAM = f"/{_ROUTE_WEBSOCKET_STREAM}"


def settings_file() -> dict[str, str]:
    """deploy/drafter.env as `set -a; . drafter.env` reads it: bash sources it and says what
    it exported."""
    script = (
        'set -a; . "$1"; for name in ${!DRAFTER_*}; do printf "%s=%s\\0" "$name" "${!name}"; done'
    )
    done = subprocess.run(
        ["bash", "-c", script, "bash", str(DEPLOY / "drafter.env")],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=True,
    )
    return dict(item.split("=", 1) for item in done.stdout.split("\0") if item)


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(UNITS[name].read_text(encoding="utf-8"))
    return parser


def exec_start(name: str) -> list[str]:
    return unit(name)["Service"]["ExecStart"].split()


def option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def nginx() -> str:
    """deploy/nginx.conf without its comments."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def nginx_block(head: str) -> str:
    """The body of the first `head { ... }` block (no nested blocks in these)."""
    found = re.search(re.escape(head) + r"\s*\{([^{}]*)\}", nginx())
    assert found, f"no `{head} {{ ... }}` in deploy/nginx.conf"
    return found.group(1)


def statements(block: str) -> list[str]:
    return [" ".join(s.split()) for s in block.split(";") if s.strip()]


def test_the_settings_file_holds_valid_settings_only() -> None:
    env = settings_file()
    assert {"DRAFTER_DATABASE_URL", "DRAFTER_CHROMA_URL", "DRAFTER_LLM_BACKEND"} <= env.keys()
    settings = settings_from(env)  # what a process with exactly this environment reads
    assert settings.llm_backend == "openai"
    assert settings.session_secret is not None  # app processes must share one
    assert make_url(settings.db_url).drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "where",
    [*(p.relative_to(ROOT) for p in sorted(DEPLOY.rglob("*")) if p.is_file()), "docs"],
    ids=str,
)
def test_every_drafter_variable_named_is_a_setting(where: Path | str) -> None:
    text = RECIPE if where == "docs" else (ROOT / where).read_text(encoding="utf-8")
    named = set(re.findall(r"\bDRAFTER_([A-Z][A-Z_]*[A-Z])\b", text))
    assert named - {name.upper() for name in Settings.model_fields} == set()


def test_the_recipe_names_settings_at_all() -> None:
    """The check above is not vacuous: the docs' section and the files do name settings."""
    for text in (RECIPE, (DEPLOY / "drafter.env").read_text(encoding="utf-8")):
        assert len(set(re.findall(r"\bDRAFTER_[A-Z_]+\b", text))) >= 3


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_parses_and_runs_a_command_of_the_install(name: str) -> None:
    parsed = unit(name)
    assert {"Unit", "Service", "Install"} <= set(parsed.sections())
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert parsed["Service"]["User"] == "drafter"
    argv = exec_start(name)
    assert argv[0].startswith(INSTALLED), argv[0]


def _help(argv: list[str]) -> str:
    """The --help of the command a unit runs, from this checkout and this interpreter's
    environment (the `drafter` script installed there runs another checkout)."""
    program = Path(argv[0]).name
    words = argv[1 : next(i for i, w in enumerate(argv) if w.startswith("--"))]
    if program == "drafter":
        command = [sys.executable, "-m", "drafter.cli", *words]
    elif program == "python":
        command = [sys.executable, *words]
    else:
        command = [str(Path(sys.executable).with_name(program)), *words]
    done = subprocess.run(
        [*command, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", UNITS)
def test_every_option_a_unit_passes_is_one_its_command_takes(name: str) -> None:
    argv = exec_start(name)
    shown = _help(argv)
    flags = [w for w in argv if w.startswith("--")]
    assert flags
    assert [f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", shown)] == []


def test_the_app_unit_runs_drafter_ui_with_a_data_dir_of_its_own() -> None:
    argv = exec_start("drafter-app@.service")
    args = build_parser().parse_args([w.replace("%i", "8501") for w in argv[1:]])
    assert (args.command, args.address, args.port) == ("ui", "127.0.0.1", 8501)
    service = unit("drafter-app@.service")["Service"]
    assert service["EnvironmentFile"] == "/etc/drafter/drafter.env"
    assert "/etc/drafter/drafter.env" in RECIPE
    assert service["Environment"] == "DRAFTER_DATA_DIR=/var/lib/drafter/app-%i"
    assert service["StateDirectory"] == "drafter/app-%i"  # systemd makes /var/lib/<it>
    assert service["WorkingDirectory"] + "/.venv/bin/" == INSTALLED


def test_the_proxy_and_the_docs_name_the_same_app_ports() -> None:
    upstream = statements(nginx_block("upstream drafter_app"))
    assert "ip_hash" in upstream  # sticky: a tab's websocket and requests reach one process
    ports = [int(s.split()[1].rsplit(":", 1)[1]) for s in upstream if s.startswith("server ")]
    enabled = [int(p) for p in re.findall(r"drafter-app@(\d+)", RECIPE)]
    assert len(ports) >= 2
    assert enabled == ports
    ranges = re.findall(r"drafter-app@\{(\d+)\.\.(\d+)\}", RECIPE)  # the restore's stop and start
    assert ranges
    assert {(int(a), int(b)) for a, b in ranges} == {(ports[0], ports[-1])}
    assert ports == list(range(ports[0], ports[-1] + 1))


def test_the_proxy_passes_the_websocket_upgrade_and_the_health_path() -> None:
    assert STREAM == "/_stcore/stream"  # Streamlit's own paths, as the installed version has them
    assert HEALTH == "/_stcore/health"
    config = nginx()
    assert config.count("{") == config.count("}")
    stream = statements(nginx_block(f"location {STREAM}"))
    assert "proxy_http_version 1.1" in stream
    assert "proxy_set_header Upgrade $http_upgrade" in stream
    assert "proxy_set_header Connection $connection_upgrade" in stream
    upgrade = statements(nginx_block("map $http_upgrade $connection_upgrade"))
    assert upgrade == ["default upgrade", "'' close"]
    health = statements(nginx_block(f"location = {HEALTH}"))
    for block in (stream, health, statements(nginx_block("location /"))):
        assert "proxy_pass http://drafter_app" in block
    assert HEALTH in RECIPE
    assert STREAM in RECIPE


def test_the_servers_listen_where_the_settings_point() -> None:
    env = settings_file()
    chroma = exec_start("drafter-chroma.service")
    url = urlparse(env["DRAFTER_CHROMA_URL"])
    assert (option(chroma, "--host"), int(option(chroma, "--port"))) == (url.hostname, url.port)
    model = exec_start("drafter-model.service")
    url = urlparse(env["DRAFTER_OPENAI_BASE_URL"])
    assert (option(model, "--host"), int(option(model, "--port"))) == (url.hostname, url.port)
    assert url.path == "/v1"
    assert option(model, "--model_alias") == env["DRAFTER_OPENAI_MODEL"]
    database = make_url(env["DRAFTER_DATABASE_URL"])
    assert (database.host, database.port) == ("127.0.0.1", 5432)  # PostgreSQL's default
    assert f"createuser --pwprompt {database.username}" in RECIPE
    assert f"createdb --owner {database.username} {database.database}" in RECIPE


def test_the_backup_commands_name_the_chroma_servers_folder() -> None:
    chroma = exec_start("drafter-chroma.service")
    folder = option(chroma, "--path")
    assert unit("drafter-chroma.service")["Service"]["StateDirectory"] == folder.removeprefix(
        "/var/lib/"
    )
    named = set(re.findall(r"--chroma-dir (\S+)", RECIPE))
    assert named == {folder}


def test_the_install_step_is_a_make_target() -> None:
    done = subprocess.run(
        ["make", "-n", "-C", str(ROOT), ".venv/.installed"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "make .venv/.installed" in RECIPE


@pytest.mark.parametrize(
    ("setting", "url", "argv", "said"),
    [
        (
            "DRAFTER_DATABASE_URL",
            "postgresql+psycopg://drafter@127.0.0.1:{port}/drafter",
            ["user", "list"],
            "cannot open the database",
        ),
        ("DRAFTER_CHROMA_URL", "http://127.0.0.1:{port}", ["stats"], "does not answer"),
    ],
)
def test_the_deeper_health_checks_exit_4_when_their_server_is_down(
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    url: str,
    argv: list[str],
    said: str,
) -> None:
    """`drafter user list` and `drafter stats`, as the docs give them, on a port nothing
    listens on."""
    assert f"drafter {' '.join(argv)} > /dev/null" in RECIPE
    monkeypatch.setenv(setting, url.format(port=free_port()))
    result = run_cli(*argv)
    assert result.code == 4
    assert said in result.err
    assert f"exit 4, {said}" in RECIPE
