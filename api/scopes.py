"""The scopes an API token may hold: each endpoint names the one it needs (403 without it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    CONTACTS_READ = "contacts:read", "contacts:read"
    CONTACTS_WRITE = "contacts:write", "contacts:write"
    CONTACTS_DELETE = "contacts:delete", "contacts:delete"
    CONVERSATIONS_READ = "conversations:read", "conversations:read"
    MESSAGES_WRITE = "messages:write", "messages:write"
    CAMPAIGNS_READ = "campaigns:read", "campaigns:read"
    WEBHOOKS_MANAGE = "webhooks:manage", "webhooks:manage"
    ATTRIBUTES_WRITE_CRM = "attributes:write_crm", "attributes:write_crm"
    JOURNEY_WRITE = "journey:write", "journey:write"


# What each scope allows, shown beside its checkbox in Settings → API.
DESCRIPTIONS = {
    Scope.CONTACTS_READ: _(
        "Read contacts, their identifiers, notes, attribute definitions and the deletion log."
    ),
    Scope.CONTACTS_WRITE: _("Create and change contacts, their identifiers and notes."),
    Scope.CONTACTS_DELETE: _(
        "Delete contacts for good, with the same deletion log entry as in Switchboard."
    ),
    Scope.CONVERSATIONS_READ: _("Read conversations and their messages."),
    Scope.MESSAGES_WRITE: _("Send messages to contacts from an inbox."),
    Scope.CAMPAIGNS_READ: _("Read campaigns and their recipients' status."),
    Scope.WEBHOOKS_MANAGE: _("Manage outbound webhook endpoints."),
    Scope.ATTRIBUTES_WRITE_CRM: _("Write attributes owned by the CRM."),
    Scope.JOURNEY_WRITE: _(
        "Record contacts' page views for a web chat widget in the server consent mode."
    ),
}
