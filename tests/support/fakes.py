"""Test doubles for the chat side: a scripted LangChain chat model and a small server that
speaks the OpenAI chat-completions protocol (streaming included) on a loopback port."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import Field

from drafter.backends.base import LangChainBackend
from drafter.backends.llamacpp import StreamingChatModel


class ScriptedChatModel(StreamingChatModel):
    """Replies from a queue, word by word; records every prompt it was sent.

    A reply of the form `FAIL_AFTER:<n>:<text>` streams n words of text, then raises.
    """

    replies: list[str] = Field(default_factory=list)
    sent: list[list[BaseMessage]] = Field(default_factory=list)
    default: str = "Hello, this is a scripted reply [1]. Please see a doctor."

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.sent.append(list(messages))
        reply = self.replies.pop(0) if self.replies else self.default
        fail_after = None
        if reply.startswith("FAIL_AFTER:"):
            _, count, reply = reply.split(":", 2)
            fail_after = int(count)
        for i, word in enumerate(reply.split(" ")):
            if fail_after is not None and i >= fail_after:
                raise ConnectionResetError("backend went away")
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=word if i == 0 else " " + word)
            )
        if fail_after is not None and fail_after >= len(reply.split(" ")):
            raise ConnectionResetError("backend went away")


class Recorder:
    """A draft listener that keeps the stages and the streamed text of each part."""

    def __init__(self) -> None:
        self.stages: list[str] = []
        self.text: dict[str, str] = {}

    def on_stage(self, stage: str) -> None:
        self.stages.append(stage)

    def on_token(self, part: str, text: str) -> None:
        self.text[part] = self.text.get(part, "") + text


def scripted_backend(
    *replies: str, remote: bool = False
) -> tuple[LangChainBackend, ScriptedChatModel]:
    model = ScriptedChatModel(replies=list(replies))
    return LangChainBackend(model, "fake:scripted", remote=remote, retries=0), model


@dataclass
class OpenAIStub:
    """What the stub server answers and what it was asked."""

    replies: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], str] | None = None

    def answer(self, body: dict[str, Any]) -> str:
        if self.replies:
            return self.replies.pop(0)
        return self.responder(body) if self.responder else "Hello from the stub [1]."


def page_responder(body: dict[str, Any]) -> str:
    """A fast stand-in for a capable model: a title, a reply or an explainer that passes the
    pipeline's checks, chosen by what the prompt asks for. Used by the app tests."""
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    task = body["messages"][-1]["content"].rsplit("</patient_question>", 1)[-1]
    if "titles for pages" in system or "the title of this question's page" in task:
        return "Knee Pain After Running: Causes and Care"
    if "More Info" in system:
        headings = re.findall(r"## ([A-Z][^,.\n]+)", system) or [
            "Causes",
            "Management",
            "Conclusion",
        ]
        lines = [
            "Most people with this feel it after activity and it eases with rest [1].",
            "Overuse, a change in training or worn shoes are common reasons [1].",
            "Relative rest, ice and a gradual return to exercise usually help [2].",
            "Come in if it keeps you awake, swells, or has not improved in two weeks [1].",
            "In short, this is common and usually settles with simple care.",
            "A physiotherapist can show stretches that take the load off the joint [2].",
        ]
        sections = "\n\n".join(
            f"## {h.strip()}\n\n{lines[i % len(lines)]}" for i, h in enumerate(headings)
        )
        return (
            "Here is what the past answers say about a question like yours, in plain words [1]."
            f"\n\n{sections}"
        )
    return (
        "Hello, thank you for your question. From what you describe, this is most often "
        "caused by overuse and settles with rest [1]. A doctor should examine the joint to be "
        "sure. Please come in if it is not better in two weeks or gets worse."
    )


def serve_openai(stub: OpenAIStub, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the stub on 127.0.0.1:`port` (0: a free one); returns the server and its /v1 URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.requests.append(body)
            stub.headers.append({k.lower(): v for k, v in self.headers.items()})
            reply = stub.answer(body)
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, word in enumerate(reply.split(" ")):
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"content": word if i == 0 else " " + word},
                                "finish_reason": None,
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                return
            payload = json.dumps(
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": reply},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
