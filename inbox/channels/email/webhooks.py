"""django-anymail's webhook views, answering 400 to a payload they cannot read.

Anymail verifies the sender first (basic auth, the provider's signature) and then parses the
payload; a malformed one — not JSON, not UTF-8, a field of the wrong shape — raised from the
parser and became a 500, which providers retry for days. Each view here is anymail's own with
that one difference; an error after parsing (in our receiver, the database) is still a 500,
so the provider retries what may succeed later (inbox.channels.email.inbound).
"""

import logging
from typing import Any

from anymail.webhooks.base import AnymailCoreWebhookView
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("switchboard.email")

# What anymail's parsers raise on a payload of the wrong shape: ValueError covers bad JSON,
# bad UTF-8, bad numbers and bad base64 (binascii.Error); the others a missing field or one of
# the wrong type.
PARSE_ERRORS = (ValueError, LookupError, TypeError, AttributeError)


class UnreadablePayload(Exception):
    """The provider's payload could not be parsed; nothing was stored."""


class RefusesUnreadablePayloads(AnymailCoreWebhookView):
    """Mixed in before an anymail webhook view: its parsing errors answer 400."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            # A list, so that a parser returning a generator fails here, not in dispatch.
            return list(super().parse_events(request))
        except PARSE_ERRORS as exc:
            raise UnreadablePayload(f"{type(exc).__name__}: {exc}") from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except UnreadablePayload as unreadable:
            logger.warning("%s webhook payload could not be read: %s", self.esp_name, unreadable)
            return HttpResponse(
                _("The payload could not be read."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )


def refusing_unreadable_payloads(view_class: type[AnymailCoreWebhookView]) -> Any:
    """The view function of `view_class` with RefusesUnreadablePayloads mixed in."""
    safe: type[AnymailCoreWebhookView] = type(
        view_class.__name__, (RefusesUnreadablePayloads, view_class), {}
    )
    return safe.as_view()
