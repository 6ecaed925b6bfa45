"""Real servers on loopback for the tests and the load benchmark: a `chroma run` server that can
be stopped and started again on its port, the stub OpenAI-compatible model server, and llama.cpp's
own OpenAI-compatible server (`python -m llama_cpp.server`) on a GGUF model.

Plain functions and classes, no pytest: the fixtures of tests/conftest.py and bench/load.py both
start their servers here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.support.fakes import OpenAIStub, serve_openai

CHROMA_START_SECONDS = 60.0


class ServerStartError(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], log: Path, *, what: str, seconds: float = 60
) -> bytes:
    """Poll `url` until it answers 200 and return the body; ServerStartError, with the end of
    the server's log, if the process exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return bytes(response.read())
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise ServerStartError(f"{what} did not come up on {url}:\n{tail}")
        time.sleep(0.25)


def stop(process: subprocess.Popen[bytes], *, seconds: float = 15) -> None:
    """Terminate, wait, and kill if it is still there."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> Path | None:
    """The `chroma` command of this interpreter's environment, None when it is not installed."""
    exe = Path(sys.executable).parent / "chroma"
    return exe if exe.exists() else None


@dataclass
class ChromaServer:
    """`chroma run` on 127.0.0.1:`port`, its data and log under `root`. `stop` then `start`
    brings the same store back on the same port (a restart, for the fault runs)."""

    exe: Path
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def start(self) -> ChromaServer:
        """Launch it and wait for its heartbeat; ServerStartError when it does not answer."""
        self.root.mkdir(parents=True, exist_ok=True)
        cmd = [str(self.exe), "run", "--path", str(self.root / "data")]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_answers(
                f"{self.url}/api/v2/heartbeat",
                self.process,
                self.log,
                what="chroma server",
                seconds=CHROMA_START_SECONDS,
            )
        except ServerStartError:
            self.stop()
            raise
        return self

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        self.process = None


@contextmanager
def running_chroma(exe: Path, root: Path) -> Iterator[ChromaServer]:
    """A started ChromaServer, stopped on the way out."""
    server = ChromaServer(exe, root).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class StubModelServer:
    """The stub model server on 127.0.0.1:`port`: `stop` closes the port (connections are
    refused), `start` listens on the same port again, so processes keep their settings."""

    stub: OpenAIStub
    port: int = field(default_factory=free_port)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The /v1 base URL, the same across restarts."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StubModelServer:
        self.server, _ = serve_openai(self.stub, self.port)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.server = None


@contextmanager
def serving_openai(stub: OpenAIStub) -> Iterator[str]:
    """The stub model server on a free loopback port while the block runs; yields its /v1 URL."""
    server, url = serve_openai(stub)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def stub_model_env(url: str) -> dict[str, str]:
    """The DRAFTER_* settings that draft with the stub model server at `url` (its /v1 URL)."""
    return {
        "DRAFTER_LLM_BACKEND": "openai",
        "DRAFTER_OPENAI_BASE_URL": url,
        "DRAFTER_OPENAI_API_KEY": "sk-test",
        "DRAFTER_OPENAI_MODEL": "stub-model",
    }


@dataclass(frozen=True)
class ModelServer:
    """A running `llama_cpp.server`: its OpenAI base URL and the model name it serves."""

    base_url: str  # http://127.0.0.1:PORT/v1
    model: str  # the id /v1/models lists
    command: list[str]
    process: subprocess.Popen[bytes]
    log: Path

    def crash(self) -> None:
        """Go away at once, as a server whose machine fails does: no graceful shutdown."""
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def running_llama_server(
    model: Path, folder: Path, port: int, *, alias: str, n_ctx: int = 2048, threads: int = 1
) -> Iterator[ModelServer]:
    """`python -m llama_cpp.server` serving `model` as `alias` on 127.0.0.1:`port`, once
    /v1/models answers; stopped on the way out. Its log is folder/llama-server.log.

    One thread by default: llama.cpp's threads wait for each other by spinning, so on two cores
    that something else is using, two threads made 0.5 tokens a second where one made 9.6."""
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
    ]
    # The server's settings also read bare environment variables (HOST, PORT, MODEL, N_CTX...).
    env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "MODEL", "N_CTX"}}
    log = folder / "llama-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        listed = json.loads(
            wait_until_answers(f"{base_url}/models", process, log, what="llama.cpp server")
        )
        yield ModelServer(base_url, listed["data"][0]["id"], command, process, log)
    finally:
        stop(process)
