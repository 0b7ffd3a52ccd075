"""Signed short links to the public survey page: `/s/<id>-<mac>/`, and `/s/<id>-<mac>/<score>/`
for a pre-filled page (the score buttons of an e-mail invitation). The MAC is an HMAC of the
invitation id, so nobody reaches another customer's survey by guessing ids; a tampered token
finds nothing (404).

A survey campaign's preview and test send link to `/s/p<survey id>-<mac>/` (another salt):
the survey's page as its customers will see it, which records nothing — padded with zeros to
about the length of the next real links, so the SMS count the manager sees is the one sent."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "switchboard.surveys.invitation"
PREVIEW_SALT = "switchboard.surveys.preview"
TOKEN = re.compile(r"^(?P<pk>\d{1,18})-(?P<mac>[0-9a-f]{12})$")
PREVIEW_TOKEN = re.compile(r"^p(?P<pk>\d{1,18})-(?P<mac>[0-9a-f]{12})$")


def _mac(pk: int, salt: str = SALT) -> str:
    return salted_hmac(salt, str(pk), algorithm="sha256").hexdigest()[:12]


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


def preview_token_for(survey_id: int, *, like: int = 0) -> str:
    """The preview token, as long as the token of invitation `like` (when it can be)."""
    width = max(len(str(like)) - 1, 1)
    return f"p{survey_id:0{width}d}-{_mac(survey_id, PREVIEW_SALT)}"


def preview_survey_id_for(token: str) -> int | None:
    match = PREVIEW_TOKEN.match(token or "")
    if match is None:
        return None
    pk = int(match["pk"])
    return pk if constant_time_compare(match["mac"], _mac(pk, PREVIEW_SALT)) else None


def preview_url(survey_id: int, *, like: int = 0) -> str:
    """The survey's page that records nothing, for a campaign's preview and test send."""
    return settings.PUBLIC_BASE_URL + reverse(
        "survey_answer:answer", args=[preview_token_for(survey_id, like=like)]
    )
