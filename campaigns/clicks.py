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


def links_in(template: str) -> set[str]:
    """The web links the manager wrote into the campaign's text (not those a contact's
    values bring in when it is rendered: only the campaign's own links are tracked)."""
    return {match.group(0).rstrip(".,;:!?") for match in LINK.finditer(template or "")}


def track_links(text: str, recipient_id: int, *, only: set[str]) -> str:
    """`text` with each link of `only` through the click redirect; every other link as it is
    (a contact's value, the unsubscribe link)."""

    def replace(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?")
        rest = match.group(0)[len(url) :]
        return (tracked(recipient_id, url) if url in only else url) + rest

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
