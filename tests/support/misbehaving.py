"""Servers that misbehave, on loopback: a black hole that accepts connections and never answers,
an OpenAI-compatible server that trickles its reply or fails first, and one that echoes the
caller's Authorization header in a 401 body (as some gateways do)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def black_hole() -> Iterator[str]:
    """A listener that accepts every connection and never sends a byte; yields its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)  # kept open, never read from or written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


@dataclass
class Misbehaviour:
    """How the OpenAI-compatible server misbehaves, and what it saw."""

    reply: str = "one two three four five six seven eight"
    token_gap: float = 0.0  # seconds between streamed tokens
    drop_first: int = 0  # close the first N connections without an answer
    stall_first: int = 0  # let the first N requests wait longer than any read timeout
    echo_auth_401: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


@contextmanager
def misbehaving_openai(how: Misbehaviour) -> Iterator[str]:
    """Serve `how` on 127.0.0.1; yields the /v1 base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            how.requests.append(body)
            seen = len(how.requests)
            if seen <= how.drop_first:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if seen <= how.drop_first + how.stall_first:
                time.sleep(3)
                return
            if how.echo_auth_401:
                self._send(
                    401,
                    {
                        "error": {
                            "message": f"invalid credentials: {self.headers['Authorization']}",
                            "type": "invalid_request_error",
                        }
                    },
                )
                return
            if self.path.endswith("/embeddings"):
                self._trickle_embeddings(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i, word in enumerate(how.reply.split(" ")):
                if i and how.token_gap:
                    time.sleep(how.token_gap)
                text = word if i == 0 else " " + word
                try:
                    self.wfile.write(_chunk(body["model"], {"content": text}))
                    self.wfile.flush()
                except OSError:  # the client hung up: it was cut off
                    return
            self.wfile.write(_chunk(body["model"], {}, "stop") + b"data: [DONE]\n\n")

        def _trickle_embeddings(self, body: dict[str, Any]) -> None:
            payload = json.dumps(
                {
                    "object": "list",
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [1.0, 0.0]}
                        for i, _ in enumerate(body["input"])
                    ],
                    "model": body["model"],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            for start in range(0, len(payload), 8):
                try:
                    self.wfile.write(payload[start : start + 8])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(how.token_gap)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
