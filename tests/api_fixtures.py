"""Fixtures of the API tests (a test module names this file in `pytest_plugins`): tokens made
through the action admins use, and clients that send them."""

from collections.abc import Callable

import pytest

from api.actions import create_token
from tests.api_helpers import ALL_SCOPES, ApiClient


@pytest.fixture
def make_token(ada) -> Callable[..., str]:
    """make_token(scopes=…, inboxes=…, expires_at=…, rate_limit=…, actor=…) → the token."""

    def make(*, scopes=None, inboxes=(), expires_at=None, rate_limit=600, actor=None, name="CRM"):
        return create_token(
            name=name,
            scopes=list(scopes if scopes is not None else ALL_SCOPES),
            inboxes=list(inboxes),
            expires_at=expires_at,
            rate_limit=rate_limit,
            actor=actor or ada,
        ).plaintext

    return make


@pytest.fixture
def api_for(make_token) -> Callable[..., ApiClient]:
    """api_for(**make_token options) → an ApiClient with a fresh token."""

    def make(**options) -> ApiClient:
        return ApiClient(make_token(**options))

    return make
