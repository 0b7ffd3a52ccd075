"""Changing the journey's settings (writes an audit row, as every settings change does)."""

from typing import Any

from django.db import transaction

from accounts.models import AccountEvent
from journey.models import JourneySettings


@transaction.atomic
def update_journey_settings(settings: JourneySettings, *, retention_days: int, actor: Any) -> bool:
    """Keep page views `retention_days` (7 to 365, the form checked) from now on; the next
    nightly purge applies it. Records the change as an ORGANISATION_UPDATED account event;
    returns False, recording nothing, when nothing changed."""
    if settings.retention_days == retention_days:
        return False
    event = {"journey_retention_days": [settings.retention_days, retention_days]}
    settings.retention_days = retention_days
    settings.save(update_fields=["retention_days"])
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.ORGANISATION_UPDATED, actor=actor, data=event
    )
    return True
