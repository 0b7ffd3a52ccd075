"""Signed short links to the public survey page: `/s/<id>-<mac>/`, and `/s/<id>-<mac>/<score>/`
for a pre-filled page (the score buttons of an e-mail invitation). The MAC is an HMAC of the
invitation id, so nobody reaches another customer's survey by guessing ids; a tampered token
finds nothing (404)."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "switchboard.surveys.invitation"
TOKEN = re.compile(r"^(?P<pk>\d{1,18})-(?P<mac>[0-9a-f]{12})$")


def _mac(pk: int) -> str:
    return salted_hmac(SALT, str(pk), algorithm="sha256").hexdigest()[:12]


def token_for(invitation_id: int) -> str:
    return f"{invitation_id}-{_mac(invitation_id)}"


def invitation_id_for(token: str) -> int | None:
    match = TOKEN.match(token or "")
    if match is None:
        return None
    pk = int(match["pk"])
    return pk if constant_time_compare(match["mac"], _mac(pk)) else None


def survey_url(invitation_id: int) -> str:
    """The absolute link a customer gets (ends with a slash; a score may follow)."""
    return settings.PUBLIC_BASE_URL + reverse(
        "survey_answer:answer", args=[token_for(invitation_id)]
    )
