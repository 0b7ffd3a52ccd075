"""Helpers of the API tests: a client that sends a token, and the scopes."""

import json
from typing import Any

from django.test import Client

from api.scopes import Scope

ALL_SCOPES = list(Scope.values)


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None, **headers: str) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def _send(self, method: str, path: str, body=None, headers=None, **query):
        extra = {**self.headers, **(headers or {})}
        kwargs: dict[str, Any] = {"headers": extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        elif query:
            kwargs["data"] = query
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, **query):
        return self._send("get", path, **query)

    def post(self, path, body=None, headers=None):
        return self._send("post", path, body if body is not None else {}, headers)

    def patch(self, path, body=None, headers=None):
        return self._send("patch", path, body if body is not None else {}, headers)

    def delete(self, path, headers=None):
        return self._send("delete", path, None, headers)
