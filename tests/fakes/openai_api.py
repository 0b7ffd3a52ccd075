"""A fake OpenAI-compatible chat completions API on a real local HTTP server, so tests and
the browser never reach the network.

`POST /v1/chat/completions` records the request's JSON and answers like the real API, plain
or streamed (server-sent events, `"stream": true`, with a final usage chunk when
`stream_options.include_usage` is set). By default it answers "OK"; a script decides how
the next requests are answered instead:

    fake.then(Reply('{"variants": [...]}', prompt_tokens=120, completion_tokens=80))
    fake.then(Status(429))                 # too many requests (the OpenAI error JSON)
    fake.then(Slow(seconds=5))             # sleeps, then answers the default reply
    fake.then(Reply("Hallo", delay=2))     # a reply after a pause

`fake.requests` holds every request body (the messages sent). The server is a
ThreadingHTTPServer on 127.0.0.1, port 0; the `fake_openai` fixture starts it and points
LLM_BASE_URL at it with a short LLM_TIMEOUT.
"""

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int = 50
    completion_tokens: int = 20
    delay: float = 0.0


@dataclass(frozen=True)
class Status:
    status: int
    message: str = "Rate limit reached"


@dataclass(frozen=True)
class Slow:
    seconds: float
    text: str = "OK"


Behaviour = Reply | Status | Slow


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.default: Behaviour = Reply("OK")
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._stop = threading.Event()

    def start(self) -> "FakeOpenAI":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        thread = threading.Thread(
            target=self._server.serve_forever, name="fake-openai", daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def then(self, *behaviours: Behaviour) -> "FakeOpenAI":
        with self._lock:
            self._script.extend(behaviours)
        return self

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def user_prompts(self) -> list[str]:
        return [
            m["content"]
            for r in self.requests
            for m in r.get("messages", [])
            if m["role"] == "user"
        ]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "bad JSON", "type": "invalid_request_error"}})
            return
        with self.fake._lock:
            self.fake.requests.append(body)
        behaviour = self.fake.next_behaviour()
        if isinstance(behaviour, Status):
            self._json(
                behaviour.status,
                {
                    "error": {
                        "message": behaviour.message,
                        "type": "rate_limit_exceeded",
                        "code": None,
                    }
                },
            )
            return
        if isinstance(behaviour, Slow):
            self.fake.sleep(behaviour.seconds)
            behaviour = Reply(behaviour.text)
        if behaviour.delay:
            self.fake.sleep(behaviour.delay)
        if body.get("stream"):
            self._stream(body, behaviour)
        else:
            self._json(200, _completion(body, behaviour))

    def _json(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        words = reply.text.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        try:
            for index, piece in enumerate(pieces):
                delta: dict[str, Any] = {"content": piece}
                if index == 0:
                    delta["role"] = "assistant"
                self._event(
                    _chunk(ident, body, [{"index": 0, "delta": delta, "finish_reason": None}])
                )
            self._event(_chunk(ident, body, [{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._event(_chunk(ident, body, [], usage=_usage(reply)))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _chunk(
    ident: str, body: dict[str, Any], choices: list[Any], usage: Any = None
) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": choices,
        "usage": usage,
    }


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(reply),
    }


@pytest.fixture
def fake_openai(settings) -> Iterator[FakeOpenAI]:
    """The fake API, running, with the settings pointing the assistant at it (a 2-second
    timeout, so the slow mode times out quickly)."""
    from assistant import provider

    with FakeOpenAI() as fake:
        settings.LLM_BASE_URL = fake.url
        settings.LLM_API_KEY = "fake-key"
        settings.LLM_MODEL = "fake-model"
        settings.LLM_TIMEOUT = 2.0
        provider._client.cache_clear()
        yield fake
    provider._client.cache_clear()
