"""Forgetting old page views: every night, page views older than the organisation's
retention (JourneySettings.retention_days, 90 by default) are deleted, then the sessions
nobody has seen since — set-based, in chunks, each its own short transaction, so the tables
are never locked for long and a crash loses nothing but time."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from journey.models import JourneySession, JourneySettings, PageView

CHUNK = 5000


def purge_old_page_views(*, now: Any = None, chunk: int = CHUNK) -> int:
    """Delete page views and sessions older than the retention. Returns how many page
    views went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=JourneySettings.load().retention_days)
    removed = _in_chunks(PageView.objects.filter(at__lt=cutoff), chunk)
    _in_chunks(JourneySession.objects.filter(last_seen_at__lt=cutoff), chunk)
    return removed


def _in_chunks(queryset: Any, chunk: int) -> int:
    removed = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:chunk])
            if not ids:
                return removed
            # The sessions' page views go with them (the page views' own chunks came first).
            removed += (
                queryset.model.objects.filter(pk__in=ids)
                .delete()[1]
                .get(queryset.model._meta.label, 0)
            )
