"""A local webhook receiver: a real threaded HTTP server on 127.0.0.1 that records every
request and answers as a test tells it to.

    receiver.fail(times=2, status=500)   # the next two requests get 500, then 200 again
    receiver.always(410)                 # every request gets 410 Gone
    receiver.always(302)                 # a redirect (with a Location header)
    receiver.hang(seconds=3)             # the next request waits before answering

`receiver.requests` holds Received(path, headers, body) in arrival order; `receiver.url`
is where to point an endpoint. The `webhook_receiver` fixture starts one, allows private
networks (the SSRF guard would refuse 127.0.0.1) and sets a short timeout.
"""

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.default_status = 200
        self._script: deque[tuple[int, float]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/switchboard"

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, *, times: int, status: int = 500) -> None:
        with self._lock:
            self._script.extend((status, 0.0) for _ in range(times))

    def always(self, status: int) -> None:
        with self._lock:
            self._script.clear()
            self.default_status = status

    def hang(self, *, seconds: float) -> None:
        with self._lock:
            self._script.append((200, seconds))

    def _next(self) -> tuple[int, float]:
        with self._lock:
            return self._script.popleft() if self._script else (self.default_status, 0.0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                status, delay = receiver._next()
                if delay:
                    time.sleep(delay)
                answer = b'{"ok": true}' if 200 <= status < 300 else b"<b>nope</b>\x00\x01"
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def webhook_receiver(settings) -> Iterator[WebhookReceiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOKS_TIMEOUT = 1.0
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
