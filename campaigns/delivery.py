"""Paced campaign delivery — the beat tick, the shared budget per sender, and sending once.

Every second the beat runs `tick` (campaigns.tasks.tick):

- scheduled campaigns whose time came are launched (their audience is frozen then);
- for each sender with a sending campaign, the rows that are due (`queued`, `not_before` ≤
  now) are taken up to the sender's rate from a budget shared by every worker in Redis
  (a `limits` budget per second of the clock), leased for LEASE seconds (so the next tick
  does not take them again) and handed to workers in small batches (`send_batch`);
- rows a dead worker left `sending` become `unknown` (never resent), freezes whose worker
  died are restarted, and campaigns with nothing left to send are completed.

A worker claims each row with a conditional UPDATE that also re-checks, in the same
statement, that the campaign is still sending and that the identity has not opted out — a
STOP committed before the claim always wins. Nothing relies on Celery's per-worker
`rate_limit` or on long countdowns (Redis redelivers those after the visibility timeout).
"""

import logging
import math
import time
from collections import defaultdict
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from accounts.models import Organisation
from campaigns import content, report
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignSettings,
    CampaignStatus,
    RecipientStatus,
    SkipReason,
)
from campaigns.models.campaigns import lower_than
from campaigns.windows import next_opening
from contacts.consent import opted_out
from contacts.consent_actions import PROVIDER_OPT_OUT_CODES as OPT_OUT_CODES
from contacts.consent_actions import record_provider_opt_out
from contacts.models import Contact
from inbox.channels import PermanentFailure, TransientFailure, UnknownOutcome
from inbox.delivery import backoff
from lib.events import emit

logger = logging.getLogger("switchboard.campaigns")

TICK_SECONDS = 1.0
BATCH = 10
# A leased row not claimed by then (its batch task was lost) is due again.
LEASE = timedelta(seconds=30)
STALE_SENDING = timedelta(minutes=10)
STALE_FREEZE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
# After a 429 the campaign's rate is halved, at most once per this many seconds.
SHRINK_EVERY_SECONDS = 30
WORKER_LOST = "worker_lost"
GAVE_UP = "gave_up"


@cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(settings.REDIS_URL or "memory://"))


def _item(rate: float) -> RateLimitItem:
    """`rate` messages per second: per second for 1/s and more, else one message per so
    many seconds."""
    if rate >= 1:
        return RateLimitItemPerSecond(max(1, round(rate)))
    return RateLimitItemPerSecond(1, max(1, round(1 / rate)))


def take_budget(sender_id: int, rate: float, costs: list[int]) -> int:
    """How many of the messages (each costing its SMS segments) the sender may send now — 0
    when Redis is down: nothing is sent, nothing is lost, the rows stay queued.

    The budget is one per second of the clock (per so many seconds below 1/s), shared by
    every tick in it. A moving window of one second still held the previous tick's messages
    whenever the beat's tick came a few milliseconds early, and a third of the ticks handed
    out nothing: 30 to 35 messages/s of 50 (benchmarks/README.md)."""
    item = _item(rate)
    window = str(int(time.time() // item.get_expiry()))  # the key names its second
    taken = 0
    try:
        for cost in costs:
            if not _limiter().hit(
                item,
                "campaign-sender",
                str(sender_id),
                window,
                cost=max(1, min(cost, item.amount)),
            ):
                break
            taken += 1
    except Exception:
        logger.warning("campaign budget unavailable for sender %s", sender_id, exc_info=True)
    return taken


def effective_rate(campaign: Campaign, inbox_settings: CampaignSettings | None = None) -> float:
    if campaign.rate:
        return max(0.1, float(campaign.rate))
    if inbox_settings is None:  # read only: a report must not create the settings row
        found = CampaignSettings.objects.filter(inbox_id=campaign.inbox_id).first()
        inbox_settings = found or CampaignSettings(inbox_id=campaign.inbox_id)
    return inbox_settings.rate_for(campaign.channel)


def tick(now: Any = None) -> int:
    """One beat tick. Returns how many rows were handed to workers."""
    from campaigns import tasks

    now = now or timezone.now()
    _launch_due(now)
    _restart_stale_freezes(now)
    settle_lost_sends(now)
    sending = list(
        Campaign.objects.filter(status=CampaignStatus.SENDING, sender__isnull=False)
        .select_related("inbox")
        .order_by("id")
    )
    by_sender: dict[int, list[Campaign]] = defaultdict(list)
    for campaign in sending:
        by_sender[campaign.sender_id].append(campaign)  # type: ignore[index]
    handed = 0
    for sender_id, campaigns in by_sender.items():
        rate = min(effective_rate(c) for c in campaigns)
        wanted = max(1, math.floor(rate * TICK_SECONDS)) if rate >= 1 else 1
        due = list(
            CampaignRecipient.objects.due(now)
            .filter(campaign__in=[c.pk for c in campaigns])
            .order_by("not_before", "id")
            .values_list("pk", "segments")[:wanted]
        )
        if not due:
            continue
        allowed = take_budget(sender_id, rate, [segments for _pk, segments in due])
        ids = [pk for pk, _segments in due[:allowed]]
        if not ids:
            continue
        CampaignRecipient.objects.filter(pk__in=ids, status=RecipientStatus.QUEUED).update(
            not_before=now + LEASE
        )
        for start in range(0, len(ids), BATCH):
            tasks.enqueue_send_batch(ids[start : start + BATCH])
        handed += len(ids)
    _complete_finished(sending)
    for campaign in sending:
        report.refresh(campaign)
    return handed


def _launch_due(now: Any) -> None:
    from campaigns import tasks
    from campaigns.actions.campaigns import launch_problems

    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
    for campaign in due.select_related("inbox"):
        if launch_problems(campaign):  # changed since it was scheduled: not sendable now
            with transaction.atomic():
                back = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED)
                if back.update(status=CampaignStatus.DRAFT, updated_at=now):
                    CampaignEvent.objects.record(
                        campaign, CampaignEvent.Kind.UPDATED, fields=["status"], refused=True
                    )
            continue
        with transaction.atomic():
            started = Campaign.objects.filter(
                pk=campaign.pk, status=CampaignStatus.SCHEDULED
            ).update(status=CampaignStatus.SENDING, started_at=now, updated_at=now)
            if started:
                CampaignEvent.objects.record(campaign, CampaignEvent.Kind.LAUNCHED, scheduled=True)
                tasks.freeze_campaign.delay_on_commit(campaign.pk)


def _restart_stale_freezes(now: Any) -> None:
    from campaigns import tasks

    stale = Campaign.objects.filter(
        status__in=[CampaignStatus.SENDING, CampaignStatus.PAUSED],
        frozen_at__isnull=True,
        updated_at__lt=now - STALE_FREEZE,
    ).values_list("pk", flat=True)
    for pk in stale:
        Campaign.objects.filter(pk=pk).update(updated_at=now)
        tasks.enqueue_freeze(pk)


def _complete_finished(campaigns: list[Campaign]) -> None:
    for campaign in campaigns:
        if campaign.frozen_at is None:
            continue
        unfinished = CampaignRecipient.objects.filter(
            campaign=campaign,
            status__in=[RecipientStatus.PENDING, RecipientStatus.QUEUED, RecipientStatus.SENDING],
        )
        if unfinished.exists():
            continue
        with transaction.atomic():
            done = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.COMPLETED, completed_at=timezone.now()
            )
            if done:
                CampaignEvent.objects.record(campaign, CampaignEvent.Kind.COMPLETED)
        if done:
            content.settle(campaign)  # rows skipped at their claim: a survey's invitations
            report.forget(campaign.pk)  # the report shows the final figures at once


def settle_lost_sends(now: Any = None) -> int:
    """Rows a dead worker left `sending`: it is unknown whether they went out, so they are
    shown as unknown instead of being sent again."""
    now = now or timezone.now()
    return CampaignRecipient.objects.filter(
        status=RecipientStatus.SENDING, claimed_at__lt=now - STALE_SENDING
    ).update(status=RecipientStatus.UNKNOWN, error_code=WORKER_LOST)


def claim(recipient_id: int, channel: str, now: Any) -> bool:
    """Queued → sending, only while the campaign sends and the identity has not opted out:
    one statement, so an opt-out or a pause committed before it always wins, and two
    workers never both claim a row."""
    still_sending = Campaign.objects.filter(
        pk=OuterRef("campaign_id"), status=CampaignStatus.SENDING
    )
    blocked = Contact.objects.filter(pk=OuterRef("contact_id"), is_blocked=True)
    return bool(
        CampaignRecipient.objects.filter(pk=recipient_id, status=RecipientStatus.QUEUED)
        .filter(Exists(still_sending))
        .exclude(opted_out(OuterRef("identity"), channel))
        .exclude(Exists(blocked))
        .update(status=RecipientStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def skip_if_stopped(recipient_id: int, channel: str) -> str:
    """A row the claim refused because its identity opted out (an agent, the card, a link)
    or its contact was blocked since the freeze: skipped with that reason, so the campaign
    can complete. "" when neither (the campaign was paused, or another worker has it)."""
    queued = CampaignRecipient.objects.filter(pk=recipient_id, status=RecipientStatus.QUEUED)
    if queued.filter(opted_out(OuterRef("identity"), channel)).update(
        status=RecipientStatus.SKIPPED, skip_reason=SkipReason.OPTED_OUT
    ):
        return SkipReason.OPTED_OUT
    if queued.filter(contact__is_blocked=True).update(
        status=RecipientStatus.SKIPPED, skip_reason=SkipReason.BLOCKED
    ):
        return SkipReason.BLOCKED
    return ""


def send_batch(recipient_ids: list[int]) -> dict[str, int]:
    """Claim and send each row once. Returns counts by outcome (for logs and tests)."""
    from campaigns import senders

    outcomes: dict[str, int] = defaultdict(int)
    changed: list[int] = []  # rows whose status moved: one webhook event for the batch
    rows = (
        CampaignRecipient.objects.filter(pk__in=recipient_ids, status=RecipientStatus.QUEUED)
        .select_related("campaign__inbox", "campaign__sender", "contact")
        .order_by("id")
    )
    for recipient in rows:
        campaign = recipient.campaign
        now = timezone.now()
        opening = next_opening(
            now,
            recipient.time_zone,
            list(campaign.window_days or []),
            campaign.window_start,
            campaign.window_end,
        )
        if opening > now:  # the window closed since the row was frozen
            CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.QUEUED).update(
                not_before=opening
            )
            outcomes["postponed"] += 1
            continue
        if not claim(recipient.pk, campaign.channel, now):
            skipped = skip_if_stopped(recipient.pk, campaign.channel)
            outcomes[skipped or "not_claimed"] += 1
            changed += [recipient.pk] if skipped else []
            continue
        recipient.attempts += 1
        outcomes[_send_one(campaign, recipient, senders)] += 1
        changed.append(recipient.pk)
    if changed:
        with transaction.atomic():
            emit(Organisation.SINGLETON_ID, "campaign.recipient.updated", {"recipients": changed})
    return dict(outcomes)


def _send_one(campaign: Campaign, recipient: CampaignRecipient, senders: Any) -> str:
    try:
        result = senders.send(campaign, recipient)
    except TransientFailure as exc:
        if recipient.attempts >= MAX_ATTEMPTS:
            return _settle(recipient, RecipientStatus.FAILED, exc.reason, GAVE_UP)
        if exc.code in ("429", "20429"):
            _shrink_rate(campaign)
        delay = backoff(recipient.attempts)
        CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.SENDING).update(
            status=RecipientStatus.QUEUED,
            not_before=timezone.now() + timedelta(seconds=delay),
            error=exc.reason[:300],
            error_code=exc.code[:32],
        )
        return RecipientStatus.QUEUED
    except PermanentFailure as exc:
        if exc.code in OPT_OUT_CODES:
            _provider_opt_out(campaign, recipient, exc.code)
        return _settle(recipient, RecipientStatus.FAILED, exc.reason, exc.code)
    except UnknownOutcome as exc:
        return _settle(recipient, RecipientStatus.UNKNOWN, exc.reason, exc.code)
    except Exception as exc:  # a bug or a time limit mid-send: it may have gone out
        logger.exception("campaign recipient %s: unexpected error while sending", recipient.pk)
        return _settle(recipient, RecipientStatus.UNKNOWN, f"{type(exc).__name__}: {exc}", "")
    CampaignRecipient.objects.filter(pk=recipient.pk, provider_message_id__isnull=True).update(
        provider_message_id=result.provider_message_id
    )
    with transaction.atomic():
        CampaignRecipient.objects.filter(
            pk=recipient.pk, status__in=lower_than(RecipientStatus.SENT)
        ).update(status=RecipientStatus.SENT, sent_at=timezone.now(), error="", error_code="")
        # In the same transaction: a survey's invitation is `sent` exactly when its row is
        # (also when a delivery callback came first and the update above changed nothing).
        content.message_sent(campaign, recipient)
    return RecipientStatus.SENT


def _settle(recipient: CampaignRecipient, status: str, reason: str, code: str) -> str:
    CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.SENDING).update(
        status=status, error=(reason or "")[:300], error_code=(code or "")[:32]
    )
    return status


def _shrink_rate(campaign: Campaign) -> None:
    if not django_cache.add(f"campaign-shrunk:{campaign.pk}", 1, SHRINK_EVERY_SECONDS):
        return
    rate = effective_rate(campaign)
    reduced = max(0.1, round(rate / 2, 2))
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(rate=reduced)
        CampaignEvent.objects.record(
            campaign, CampaignEvent.Kind.RATE_REDUCED, old=rate, new=reduced
        )


def _provider_opt_out(campaign: Campaign, recipient: CampaignRecipient, code: str) -> None:
    with transaction.atomic():
        record_provider_opt_out(
            channel=campaign.channel,
            address=recipient.address,
            code=code,
            identity=recipient.identity,
            campaign_id=campaign.pk,
        )
        CampaignRecipient.objects.filter(pk=recipient.pk).update(opted_out_at=timezone.now())


def record_status(
    recipient: CampaignRecipient, status: str, *, code: str = "", error: str = ""
) -> bool:
    """A provider's delivery callback, forward only."""
    if status not in (RecipientStatus.SENT, RecipientStatus.DELIVERED, RecipientStatus.FAILED):
        return False
    fields: dict[str, Any] = {"status": status}
    if status == RecipientStatus.DELIVERED:
        fields["delivered_at"] = timezone.now()
    if status in (RecipientStatus.SENT, RecipientStatus.DELIVERED):
        # The callback may come before the sender recorded the send.
        fields["sent_at"] = Coalesce(F("sent_at"), timezone.now())
    if status == RecipientStatus.FAILED:
        fields.update(error=(error or code)[:300], error_code=code[:32])
    with transaction.atomic():
        changed = CampaignRecipient.objects.filter(
            pk=recipient.pk, status__in=lower_than(status)
        ).update(**fields)
        if changed:
            emit(
                Organisation.SINGLETON_ID,
                "campaign.recipient.updated",
                {"recipients": [recipient.pk]},
            )
    if changed and status == RecipientStatus.FAILED and code in OPT_OUT_CODES:
        _provider_opt_out(recipient.campaign, recipient, code)
    return bool(changed)
