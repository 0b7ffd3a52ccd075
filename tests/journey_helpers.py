"""Helpers of the journey tests: widget visitors, and page views sent as the widget's
journey recorder (static/webchat/journey.js) sends them."""

import json
import time
from typing import Any

from django.test import Client
from django.urls import reverse

from webchat.models import WebVisitor, token_hash

HOST = "http://127.0.0.1:8123"


_visitors = iter(range(10**6))


def visitor(widget, *, contact=None, token=None, **extra) -> tuple[WebVisitor, str]:
    n = next(_visitors)
    token = token or f"token-{n}-{time.time_ns()}"
    row = WebVisitor.objects.create(
        widget=widget,
        token_hash=token_hash(token),
        anonymous_address=f"wv:test{n}-{time.time_ns() % 10**8}",
        contact=contact,
        **extra,
    )
    return row, token


def page(path: str, title: str = "", at: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"url": HOST + path, "title": title or path, "at": at or time.time() * 1000, **extra}


def send(widget, token, views, *, origin=HOST, client=None, remote="203.0.113.77", **body):
    """POST the page views as the recorder's beacon does (text/plain JSON, an Origin)."""
    client = client or Client()
    payload = {"visitor": token, "views": views, **body}
    headers = {"Origin": origin} if origin else {}
    return client.post(
        reverse("journey_widget:page_views", args=[widget.public_id]),
        data=json.dumps(payload),
        content_type="text/plain;charset=UTF-8",
        headers={**headers, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
        REMOTE_ADDR=remote,
    )
