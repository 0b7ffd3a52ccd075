"""The web chat's test world: inbox A with its widget (embedded by https://shop.example),
and a client that talks to the widget as a visitor's iframe does."""

import time
from typing import Any

import jwt
from django.test import Client

from webchat.models import WebWidget
from webchat.origins import own_origin

SHOP = "https://shop.example"
SECRET = "sbw_test-secret-0123456789abcdefghijklmnop"
VISITOR_TOKEN = "visitor-token-aaaaaaaaaaaaaaaa"


def make_widget(inbox: Any, **extra: Any) -> WebWidget:
    values: dict[str, Any] = {
        "enabled": True,
        "allowed_origins": SHOP,
        "greeting": "Hallo! Wie können wir helfen?",
        "away_message": "Gerade ist niemand da.",
        "identity_secret": SECRET,
    }
    values.update(extra)
    return WebWidget.objects.create(inbox=inbox, **values)


class Visitor:
    """A visitor's iframe: its token and the host page's origin on every request."""

    def __init__(self, widget: WebWidget, token: str = VISITOR_TOKEN, embed: str = SHOP):
        self.widget, self.token, self.embed = widget, token, embed
        self.client = Client()

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {
            "X-Switchboard-Visitor": self.token,
            "X-Switchboard-Embed": self.embed,
            "Referer": f"{own_origin()}/w/{self.widget.public_id}/chat/?origin={self.embed}",
        }
        headers.update(extra)
        return headers

    def url(self, name: str) -> str:
        return f"/w/{self.widget.public_id}/{name}/"

    def send(self, body: str = "Hallo, wo ist mein Paket?", client_id: str = "", **data: Any):
        payload = {"body": body, "client_id": client_id or f"c{time.monotonic_ns()}", **data}
        return self.client.post(self.url("send"), payload, headers=self.headers())

    def poll(self, query: str = "", **headers: str):
        """The poller's request; `query` is what the last answer's poller asks with."""
        return self.client.get(self.url("thread") + f"?{query}", headers=self.headers(**headers))

    def hello(self, **data: str):
        return self.client.post(self.url("hello"), data, headers=self.headers())

    def identify(self, token: str):
        return self.client.post(self.url("identify"), {"token": token}, headers=self.headers())

    def leave_email(self, email: str):
        return self.client.post(self.url("email"), {"email": email}, headers=self.headers())


def host_token(secret: str = SECRET, *, ahead: int = 600, **claims: Any) -> str:
    """A token as the host's back end signs it: sub and exp, and whatever else is given."""
    payload = {"sub": "user-42", "exp": int(time.time()) + ahead, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")
