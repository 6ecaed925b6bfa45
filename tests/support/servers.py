"""Real servers on loopback for the tests and the load benchmark: a `chroma run` server that can
be stopped and started again on its port, and the stub OpenAI-compatible model server.

Plain functions and classes, no pytest: the fixtures of tests/conftest.py and bench/load.py both
start their servers here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.fakes import OpenAIStub, serve_openai

CHROMA_START_SECONDS = 60.0


class ServerStartError(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


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
        deadline = time.monotonic() + CHROMA_START_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise ServerStartError(f"chroma server did not come up on {self.url}:\n{tail}")
            time.sleep(0.25)
        return self

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@contextmanager
def running_chroma(exe: Path, root: Path) -> Iterator[ChromaServer]:
    """A started ChromaServer, stopped on the way out."""
    server = ChromaServer(exe, root).start()
    try:
        yield server
    finally:
        server.stop()


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
