"""What a campaign's report shows: counts by status, skips by reason, failures by code,
replies and opt-outs, progress and the time still needed; and the launch forecast.

The counts are one GROUP BY over the campaign's rows (index on campaign and status), kept
for two seconds in the cache so that every open report polling shares one computation."""

import contextlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

# While a campaign sends, the beat's tick recounts it every REFRESH_SECONDS (`refresh`), so
# a report always finds its counts in the cache, whoever watches it; otherwise the first
# report to ask counts, and the figures may be CACHE_SECONDS old (a completion drops them).
CACHE_SECONDS = 10
REFRESH_SECONDS = 2
DONE = {
    RecipientStatus.SENT,
    RecipientStatus.DELIVERED,
    RecipientStatus.FAILED,
    RecipientStatus.UNKNOWN,
}


@dataclass
class Counts:
    audience: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    replied: int = 0
    opted_out: int = 0
    clicked: int = 0

    def status(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def to_send(self) -> int:
        """Rows that were or will be handed to the provider."""
        return (
            self.audience
            - self.status(RecipientStatus.SKIPPED)
            - self.status(RecipientStatus.CANCELLED)
        )

    @property
    def done(self) -> int:
        return sum(self.status(s) for s in DONE)

    @property
    def waiting(self) -> int:
        return sum(
            self.status(s)
            for s in (RecipientStatus.PENDING, RecipientStatus.QUEUED, RecipientStatus.SENDING)
        )

    @property
    def percent(self) -> int:
        return 100 if not self.to_send else min(100, math.floor(100 * self.done / self.to_send))


def _key(campaign_id: int) -> str:
    return f"campaign-counts:{campaign_id}"


def refresh(campaign: Campaign) -> None:
    """Recount a sending campaign into the cache, at most every REFRESH_SECONDS (the tick)."""
    try:
        due = cache.add(f"campaign-counts-fresh:{campaign.pk}", 1, REFRESH_SECONDS)
    except Exception:
        return
    if due:
        counts(campaign, fresh=True)


def forget(campaign_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(_key(campaign_id))


def counts(campaign: Campaign, *, fresh: bool = False) -> Counts:
    key = _key(campaign.pk)
    try:
        found = None if fresh else cache.get(key)
    except Exception:
        found = None
    if isinstance(found, Counts):
        return found
    result = Counts()
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .values("status", "skip_reason", "error_code")
        .annotate(
            n=Count("id"),
            replied=Count("replied_at"),
            opted_out=Count("opted_out_at"),
            clicked=Count("clicked_at"),
        )
        .order_by()
    )
    for row in rows:
        n = row["n"]
        result.audience += n
        result.by_status[row["status"]] = result.by_status.get(row["status"], 0) + n
        if row["status"] == RecipientStatus.SKIPPED:
            reason = row["skip_reason"] or "other"
            result.skipped[reason] = result.skipped.get(reason, 0) + n
        if row["status"] in (RecipientStatus.FAILED, RecipientStatus.UNKNOWN):
            code = row["error_code"] or "—"
            result.failed[code] = result.failed.get(code, 0) + n
        result.replied += row["replied"]
        result.opted_out += row["opted_out"]
        result.clicked += row["clicked"]
    with contextlib.suppress(Exception):  # no cache: the next poll counts again
        cache.set(key, result, CACHE_SECONDS)
    return result


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return ngettext("about %(n)s second", "about %(n)s seconds", max(1, round(seconds))) % {
            "n": max(1, round(seconds))
        }
    minutes = seconds / 60
    if minutes < 90:
        return ngettext("about %(n)s minute", "about %(n)s minutes", round(minutes)) % {
            "n": round(minutes)
        }
    hours = round(minutes / 60)
    return ngettext("about %(n)s hour", "about %(n)s hours", hours) % {"n": hours}


def window_hours(campaign: Campaign) -> float:
    days = list(campaign.window_days or [])
    if not days or campaign.window_start >= campaign.window_end:
        return 24.0
    start = datetime.combine(timezone.now().date(), campaign.window_start)
    end = datetime.combine(timezone.now().date(), campaign.window_end)
    return (end - start).total_seconds() / 3600


def forecast(campaign: Campaign, *, recipients: int, segments: float, rate: float) -> str:
    """Recipients times segments divided by the rate, against the send window: "about 28
    hours at 1 messages per second; continues on the next days within the window"."""
    if recipients <= 0:
        return _("Nobody to send to.")
    seconds = recipients * max(1.0, segments) / max(rate, 0.01)
    text = _("%(duration)s at %(rate)s messages per second") % {
        "duration": duration_text(seconds),
        "rate": f"{rate:g}",
    }
    if seconds / 3600 > window_hours(campaign):
        per_day = window_hours(campaign)
        days = math.ceil(seconds / 3600 / per_day)
        text += "; " + ngettext(
            "continues on the next day within the window (%(n)s sending day)",
            "continues on the next days within the window (%(n)s sending days)",
            days,
        ) % {"n": days}
    return text + "."


def time_left(campaign: Campaign, found: Counts, rate: float) -> str:
    if campaign.status != CampaignStatus.SENDING or not found.waiting:
        return ""
    return duration_text(found.waiting / max(rate, 0.01))


def finished_in(campaign: Campaign) -> timedelta | None:
    if campaign.started_at and campaign.completed_at:
        return campaign.completed_at - campaign.started_at
    return None


def for_template(campaign: Campaign, found: Counts) -> dict[str, Any]:
    from campaigns.models import SkipReason

    reasons = dict(SkipReason.choices)
    return {
        "skipped": sorted(
            ((str(reasons.get(k, k)), v) for k, v in found.skipped.items()), key=lambda i: -i[1]
        ),
        "failed": sorted(found.failed.items(), key=lambda item: -item[1]),
    }
