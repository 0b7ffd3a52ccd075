"""Settings → Inboxes → an inbox → Web chat: what managers change, each with an InboxEvent."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from inbox.models import InboxEvent
from webchat.models import WebWidget, new_identity_secret

SETTINGS_FIELDS = ("enabled", "colour", "greeting", "away_message", "consent_mode")


@transaction.atomic
def save_widget_settings(
    widget: WebWidget,
    *,
    actor: Any,
    enabled: bool,
    colour: str,
    greeting: str,
    away_message: str,
    origins: list[str],
    consent_mode: str,
) -> list[str]:
    """Store the widget's settings (creating its row the first time, with an identity
    secret) and record which fields changed. Returns the changed field names; the public
    pages read the new values at once (the model forgets its cached copy on commit)."""
    values: dict[str, Any] = {
        "enabled": enabled,
        "colour": colour,
        "greeting": greeting.strip(),
        "away_message": away_message.strip(),
        "allowed_origins": "\n".join(origins),
        "consent_mode": consent_mode,
    }
    changed = [name for name, value in values.items() if getattr(widget, name) != value]
    for name, value in values.items():
        setattr(widget, name, value)
    created = widget.pk is None
    if created:
        widget.identity_secret = new_identity_secret()
        widget.secret_rotated_at = timezone.now()
    if created or changed:
        widget.updated_at = timezone.now()
        widget.save()
        InboxEvent.objects.record(
            widget.inbox, InboxEvent.Kind.WEB_CHAT_CHANGED, actor=actor, fields=changed
        )
    return changed


@transaction.atomic
def rotate_identity_secret(widget: WebWidget, *, actor: Any) -> str:
    """A new identity secret for the widget: tokens signed with the old one are refused from
    now on. Returns the secret, which the settings page shows this once."""
    secret = new_identity_secret()
    widget.identity_secret = secret
    widget.secret_rotated_at = widget.updated_at = timezone.now()
    widget.save()
    InboxEvent.objects.record(widget.inbox, InboxEvent.Kind.WEB_CHAT_SECRET_ROTATED, actor=actor)
    return secret
