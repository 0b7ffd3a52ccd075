"""Clicks on the links of campaign e-mails: each link goes through a signed redirect that
marks the recipient clicked (the first time) and sends the reader on.

Only e-mails: rewriting the links of an SMS would change its length after the manager saw
the segment count. The signed value names the recipient and the original address, so the
redirect leads only where the campaign linked (no open redirect)."""

import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "switchboard.campaigns.click"
LINK = re.compile(r"https?://[^\s<>\"')\]]+")


def tracked(recipient_id: int, url: str) -> str:
    token = signing.dumps({"r": recipient_id, "u": url}, salt=SALT, compress=True)
    return settings.PUBLIC_BASE_URL + reverse("campaigns:click", args=[token])


def track_links(text: str, recipient_id: int, *, keep: set[str] | None = None) -> str:
    """`text` with every web link through the click redirect, except those in `keep` (the
    unsubscribe link)."""
    keep = keep or set()

    def replace(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?")
        rest = match.group(0)[len(url) :]
        return (url if url in keep else tracked(recipient_id, url)) + rest

    return LINK.sub(replace, text)


def read(token: str) -> tuple[int, str] | None:
    try:
        value: Any = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), str):
        return None
    url, pk = value["u"], value.get("r")
    if not isinstance(pk, int) or not LINK.fullmatch(url):
        return None
    return pk, url
