"""Signed per-recipient unsubscribe links (RFC 8058): the token names the recipient row and
carries an HMAC, so nobody can unsubscribe somebody else by guessing ids."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "switchboard.campaigns.unsubscribe"
TOKEN = re.compile(r"^(?P<pk>\d{1,18})-(?P<mac>[0-9a-f]{16})$")


def _mac(pk: int) -> str:
    return salted_hmac(SALT, str(pk), algorithm="sha256").hexdigest()[:16]


def token_for(recipient_id: int) -> str:
    return f"{recipient_id}-{_mac(recipient_id)}"


def recipient_id_for(token: str) -> int | None:
    match = TOKEN.match(token or "")
    if match is None:
        return None
    pk = int(match["pk"])
    return pk if constant_time_compare(match["mac"], _mac(pk)) else None


def unsubscribe_url(recipient: object) -> str:
    token = token_for(recipient.pk)  # type: ignore[attr-defined]
    return settings.PUBLIC_BASE_URL + reverse("campaigns:unsubscribe", args=[token])
