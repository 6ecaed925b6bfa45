"""Server processes the tests start on loopback: waiting until one answers over HTTP, stopping it,
and llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`) on a GGUF model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], log: Path, *, what: str, seconds: float = 60
) -> bytes:
    """Poll `url` until it answers 200 and return the body; fail the test with the end of the
    server's log if the process exits or `seconds` pass first."""
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
            pytest.fail(f"{what} did not come up on {url}:\n{tail}")
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
