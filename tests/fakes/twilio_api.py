"""A fake of Twilio's REST API on a real local HTTP server.

It speaks just enough of the Messages API for the twilio library: `POST
/2010-04-01/Accounts/<sid>/Messages.json` (basic auth with the account SID and auth token)
records the form (and every `MediaUrl`, in `accepted_media`) and answers 201 with a message
resource, SID "SM" + 32 hex digits, status "queued". A script decides how the next requests
are answered instead:

    fake.then(Error(429, 20429, "Too Many Requests"))   # refused with Twilio's error JSON
    release = fake.then_hang()                          # recorded, answered after release.set()
    fake.then(DROP)                                     # recorded, connection closed unanswered

`GET /2010-04-01/Accounts/<sid>.json` answers the account (status "active") to the right
credentials and 401 to others, as `check_providers` asks. `GET` also serves media registered
with `fake.add_media(bytes, content_type)` like Twilio does:
the media URL (basic auth required) redirects to a store that serves the bytes.

The server is a ThreadingHTTPServer on 127.0.0.1, port 0, in a thread; a worker in another
process reaches it through `fake.url` like any API. The `fake_twilio` fixture starts it and
points the settings (SMS_BACKEND=twilio, credentials, TWILIO_API_BASE_URL) at it.
"""

import base64
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
HANG_LIMIT_SECONDS = 60  # a forgotten release never keeps a test waiting longer
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")
ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)\.json$")


@dataclass(frozen=True)
class Error:
    """Answer with this HTTP status and Twilio's error JSON."""

    status: int
    code: int
    message: str


@dataclass(frozen=True)
class Hang:
    """Record the message, then answer 201 only once `release` is set."""

    release: threading.Event = field(default_factory=threading.Event)


DROP = "drop"  # record the message, then close the connection without answering
ACCEPT = "accept"  # the default: record and answer 201

Behaviour = Error | Hang | str


@dataclass
class Media:
    content: bytes
    content_type: str


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[dict[str, str]] = []  # every Messages POST, refused ones too
        self.request_times: list[float] = []  # time.monotonic() of each of them
        self.accepted: list[dict[str, str]] = []  # those taken (answered, hung or dropped)
        # The MediaUrl values of each accepted POST, in order (a form may repeat the field).
        self.accepted_media: list[list[str]] = []
        self.media_requests: list[str] = []  # paths of every media GET
        self._script: deque[Behaviour] = deque()
        self._media: dict[str, Media] = {}
        self._hangs: list[Hang] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Lifecycle --------------------------------------------------------------------------

    def start(self) -> "FakeTwilio":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for hang in self._hangs:
            hang.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not running"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- Script and media -------------------------------------------------------------------

    def then(self, *behaviours: Behaviour) -> None:
        """Answer the next Messages POSTs so, in order; after them, accept again."""
        with self._lock:
            self._script.extend(behaviours)

    def then_hang(self) -> threading.Event:
        hang = Hang()
        self.then(hang)
        return hang.release

    def add_media(self, content: bytes, content_type: str = "image/jpeg") -> str:
        """Register a medium; returns its URL as Twilio puts it in MediaUrlN."""
        path = (
            f"/2010-04-01/Accounts/{self.account_sid}/Messages/MM{uuid.uuid4().hex}"
            f"/Media/ME{uuid.uuid4().hex}"
        )
        with self._lock:
            self._media[path] = Media(content, content_type)
        return self.url + path

    def bodies(self) -> list[str]:
        return [form.get("Body", "") for form in self.accepted]

    # --- Called by the handler --------------------------------------------------------------

    def _next(self) -> Behaviour:
        with self._lock:
            behaviour = self._script.popleft() if self._script else ACCEPT
            if isinstance(behaviour, Hang):
                self._hangs.append(behaviour)
            return behaviour

    def _record(
        self, form: dict[str, str], *, accepted: bool, media: list[str] | None = None
    ) -> None:
        with self._lock:
            self.requests.append(form)
            self.request_times.append(time.monotonic())
            if accepted:
                self.accepted.append(form)
                self.accepted_media.append(media or [])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timed out on a hung answer) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    server_version = "FakeTwilio/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows failures, not access logs

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        pairs = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        form = dict(pairs)
        media = [value for key, value in pairs if key == "MediaUrl"]
        match = MESSAGES.match(self.path.split("?")[0])
        if match is None or match["sid"] != self.fake.account_sid:
            self._error(404, 20404, "The requested resource was not found")
            return
        if not self._authorised():
            self._error(401, 20003, "Authentication Error - invalid username")
            return
        behaviour = self.fake._next()
        if isinstance(behaviour, Error):
            self.fake._record(form, accepted=False)
            self._error(behaviour.status, behaviour.code, behaviour.message)
            return
        sid = f"SM{uuid.uuid4().hex}"
        form["Sid"] = sid
        self.fake._record(form, accepted=True, media=media)
        if behaviour == DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(behaviour, Hang):
            behaviour.release.wait(HANG_LIMIT_SECONDS)
        self._json(201, self._message(sid, form))

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        with self.fake._lock:
            self.fake.media_requests.append(path)
        if path.startswith("/media-store/"):
            media = self.fake._media.get(path.removeprefix("/media-store"))
            if media is None:
                self._error(404, 20404, "The requested resource was not found")
                return
            self.send_response(200)
            self.send_header("Content-Type", media.content_type)
            self.send_header("Content-Length", str(len(media.content)))
            self.end_headers()
            self.wfile.write(media.content)
            return
        if not self._authorised():
            self._error(401, 20003, "Authentication Error - invalid username")
            return
        account = ACCOUNT.match(path)
        if account is not None and account["sid"] == self.fake.account_sid:
            sid = self.fake.account_sid
            self._json(
                200,
                {
                    "sid": sid,
                    "friendly_name": "Fake",
                    "status": "active",
                    "type": "Full",
                    "uri": f"/2010-04-01/Accounts/{sid}.json",
                },
            )
            return
        if path not in self.fake._media:
            self._error(404, 20404, "The requested resource was not found")
            return
        # Twilio answers a media URL with a redirect to its media store.
        self.send_response(307)
        self.send_header("Location", f"/media-store{path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _authorised(self) -> bool:
        expected = base64.b64encode(
            f"{self.fake.account_sid}:{self.fake.auth_token}".encode()
        ).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def _message(self, sid: str, form: dict[str, str]) -> dict[str, Any]:
        now = formatdate(usegmt=True)
        account = self.fake.account_sid
        return {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From", ""),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"
            },
            "to": form.get("To", ""),
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def _error(self, status: int, code: int, message: str) -> None:
        self._json(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    """The fake API, running, with the settings pointing the twilio channel at it."""
    from inbox.channels.twilio import outbound as twilio

    with FakeTwilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_API_BASE_URL = fake.url
        twilio.client.cache_clear()
        yield fake
    twilio.client.cache_clear()
