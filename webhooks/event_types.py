"""The event types an endpoint can subscribe to, with what each means for the admin choosing."""

from django.utils.translation import gettext_lazy as _

ALL = "*"
TEST = "webhook.test"

EVENT_TYPES: dict[str, object] = {
    "contact.created": _("A contact was created (by an agent, an import or a first message)."),
    "contact.updated": _("A contact's attributes, tags, identifiers or kind changed."),
    "contact.merged": _("Two contacts were merged; the absorbed one's id is included."),
    "contact.deleted": _("A contact was deleted: only the deletion-log id and its hint."),
    "conversation.created": _("A conversation started (inbound or from the contact card)."),
    "conversation.assigned": _("A conversation was assigned, reassigned or unassigned."),
    "conversation.status_changed": _("A conversation was opened, set pending or resolved."),
    "message.created": _("A message was received or an outbound message was queued."),
    "message.status_changed": _("An outbound message was sent, delivered, read or failed."),
    "campaign.recipient.updated": _(
        "Campaign recipients changed status (sent, delivered, failed), many per event."
    ),
    "consent.changed": _("Marketing consent was granted or withdrawn, or someone opted out."),
    "survey.response.created": _("A customer answered a survey."),
}


def matches(subscribed: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `subscribed` receives `event_type` (a test event
    always reaches the endpoint it is sent to, see webhooks.actions.send_test_event)."""
    return ALL in subscribed or event_type in subscribed
