"""django-anymail's inbound webhooks: verify, store, enqueue (DESIGN.md §6).

Anymail verifies the sender (basic auth from `ANYMAIL["WEBHOOK_SECRET"]`, Mailgun's signature)
and then parses the payload into an `AnymailInboundMessage`, which `handle_inbound` (connected
in InboxConfig.ready) stores once per Message-ID and hands to the routing task
(inbox.channels.email.inbound): the provider gets its 200 before any inbox is looked up.

A payload anymail cannot read — not JSON, not UTF-8, a field of the wrong shape — raised from
the parser and became a 500, which providers retry for days; each view here is anymail's own,
answering 400 to that. What can never be stored (no message, a malformed sender) is logged and
answered 200, so the provider does not retry it forever; an error after parsing (the database)
is still a 500, so the provider retries what may succeed later.
"""

import logging
from typing import Any

from anymail.signals import AnymailInboundEvent, inbound
from anymail.webhooks.base import AnymailCoreWebhookView
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contacts.identities import normalise_email
from inbox.channels.email.inbound import message_id_of, sender_address, stored_payload
from inbox.inbound import store_and_enqueue

logger = logging.getLogger("switchboard.email")

# What anymail's parsers raise on a payload of the wrong shape: ValueError covers bad JSON,
# bad UTF-8, bad numbers and bad base64 (binascii.Error); the others a missing field or one of
# the wrong type.
PARSE_ERRORS = (ValueError, LookupError, TypeError, AttributeError)


@receiver(inbound, dispatch_uid="switchboard.inbound_email")
def handle_inbound(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """An e-mail anymail verified and parsed: stored as an inbound event of the e-mail service
    (`postmark`, `mailgun`, …) once per Message-ID — without one, the service's event id or a
    hash of the e-mail — and routed by a task. A replay stores nothing and enqueues nothing."""
    email = event.message
    if email is None:
        logger.warning("inbound e-mail via %s without a message; ignored", esp_name)
        return
    try:
        address = normalise_email(sender_address(email))
    except ValidationError:
        logger.warning("inbound e-mail via %s with no usable From; ignored", esp_name)
        return
    event_id = message_id_of(email, esp_name, event)
    store_and_enqueue(slugify(esp_name), event_id, stored_payload(email, address))


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
