"""Campaigns with real worker processes: nothing frozen twice, nothing sent twice, a STOP
wins, Redis away sends nothing and loses nothing (DESIGN.md §6 and §10).

Like tests/test_delivery_worker.py (whose private redis-server, worker processes and
publishing helpers this reuses): `celery -A config worker` subprocesses on a private
redis-server against this test's PostgreSQL database, sending to the fake Twilio API over
HTTP, killed with SIGKILL mid-task. The beat's tick (campaigns.delivery.tick) runs in this
process, one call per second like the beat, publishing to the private Redis and taking its
budget there.

- a freeze SIGKILLed half-way and run again leaves one rendered row per contact;
- a worker SIGKILLed while Twilio holds a request: every other row is sent once, the held one
  ends `unknown` (never resent), and Twilio saw every number at most once;
- a STOP committed while the worker is busy with the batch's first message keeps the second
  from being sent;
- with Redis stopped the tick sends nothing and raises nothing; back, every row goes once.
"""

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from campaigns import delivery, freeze
from campaigns.actions import campaigns as actions
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    RecipientStatus,
)
from contacts.consent_actions import record_opt_out
from contacts.models import Contact, Identity
from inbox.models import InboxChannel
from tests.factories import inbox_with
from tests.test_delivery_worker import REDIS_SERVER, publishing_to, wait_for
from tests.test_delivery_worker import redis as redis  # a fixture: a private redis-server
from tests.test_delivery_worker import start_worker as start_worker  # a fixture

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
        or not os.environ.get("REDIS_URL")
        or REDIS_SERVER is None,
        reason="needs PostgreSQL, Redis and redis-server (a worker process shares the database)",
    ),
]

OUR_NUMBER = "+4940123456"
FREEZE_AUDIENCE = 20_000


@pytest.fixture
def inbox_a(transactional_db, max_manager):
    inbox = inbox_with("Service", managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    return inbox


@pytest.fixture
def budget(redis, monkeypatch):
    """The tick in this process takes the senders' budget from the private Redis, like the
    workers would (settings.REDIS_URL there)."""
    limiter = MovingWindowRateLimiter(storage_from_string(redis.url))
    monkeypatch.setattr(delivery, "_limiter", lambda: limiter)
    return limiter


def number(n):
    return f"+49170{n:07d}"


def customers(count, *, company="Nordlicht"):
    """`count` contacts with a mobile number each, created in bulk."""
    people = Contact.objects.bulk_create(
        [Contact(kind="identified", first_name=f"Kunde{n}", company=company) for n in range(count)],
        batch_size=5_000,
    )
    return Identity.objects.bulk_create(
        [
            Identity(contact=person, kind="phone", value=number(n), normalised=number(n))
            for n, person in enumerate(people)
        ],
        batch_size=5_000,
    )


def launch(inbox, actor, *, rate=10.0, company="Nordlicht"):
    """A service campaign (no consent needed) to every contact of `company`, sendable at any
    time (no send-window days), launched: the freeze is published to the private Redis."""
    campaign = actions.create_campaign(
        inbox=inbox, actor=actor, name="Lieferung", channel="sms", type=CampaignType.SERVICE
    )
    actions.update_campaign(
        campaign,
        actor=actor,
        values={
            "body": "Hallo {{ contact.first_name }}, Ihr Paket kommt morgen.",
            "audience": {
                "match": "all",
                "rules": [{"field": "company", "op": "equals", "value": company}],
            },
            "window_days": [],
            "rate": rate,
        },
    )
    actions.launch_campaign(campaign, actor=actor)
    return campaign


def frozen(campaign):
    return Campaign.objects.filter(pk=campaign.pk, frozen_at__isnull=False).exists()


def count_by_status(campaign):
    return Counter(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("status", flat=True)
    )


def kill(process):
    """A real SIGKILL: no acknowledgement, no cleanup."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def tick_until(done, timeout=60, what=""):
    """Tick once a second, like the beat, until `done()`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.tick()
        if done():
            return
        time.sleep(1.0)
    raise AssertionError(f"timed out ticking until {what or done}")


def numbers_sent_to(fake_twilio):
    return Counter(form["To"] for form in fake_twilio.accepted)


def test_a_freeze_killed_half_way_and_run_again_freezes_each_contact_once(
    inbox_a, max_manager, redis, start_worker
):
    customers(FREEZE_AUDIENCE)
    first = start_worker()
    with publishing_to(redis.url):
        campaign = launch(inbox_a, max_manager)

        def half_rendered():  # a chunk written, at least two still to render
            queued = count_by_status(campaign)[RecipientStatus.QUEUED]
            return 0 < queued <= FREEZE_AUDIENCE - 2 * freeze.RENDER_CHUNK

        wait_for(half_rendered, 120, "the first rendered chunk")
        kill(first)
        rows = count_by_status(campaign)
        assert 0 < rows[RecipientStatus.QUEUED] < FREEZE_AUDIENCE
        assert rows[RecipientStatus.PENDING] > 0
        assert not frozen(campaign)

        # The dead worker's heartbeat stops; the tick restarts a freeze that went quiet.
        second = start_worker()
        stale = timezone.now() + delivery.STALE_FREEZE + timedelta(seconds=1)
        delivery._restart_stale_freezes(stale)
        wait_for(lambda: frozen(campaign), 180, "the freeze to finish")

    campaign.refresh_from_db()
    assert campaign.audience_size == FREEZE_AUDIENCE
    assert campaign.status == CampaignStatus.SENDING
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    assert recipients.count() == FREEZE_AUDIENCE
    assert recipients.values("contact_id").distinct().count() == FREEZE_AUDIENCE
    assert recipients.values("identity_id").distinct().count() == FREEZE_AUDIENCE
    assert count_by_status(campaign) == {RecipientStatus.QUEUED: FREEZE_AUDIENCE}
    assert not recipients.filter(rendered_body="").exists()
    assert recipients.filter(rendered_body="Hallo Kunde7, Ihr Paket kommt morgen.").count() == 1
    frozen_events = CampaignEvent.objects.filter(campaign=campaign, kind="frozen")
    assert [event.data["size"] for event in frozen_events] == [FREEZE_AUDIENCE]
    assert "campaigns.tasks.freeze_campaign" in second.log_path.read_text()


def test_a_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    inbox_a, max_manager, redis, budget, fake_twilio, start_worker
):
    audience = 25
    customers(audience)
    first = start_worker()
    with publishing_to(redis.url):
        campaign = launch(inbox_a, max_manager, rate=10)
        wait_for(lambda: frozen(campaign), 60, "the freeze")

        release = fake_twilio.then_hang()  # Twilio takes the first message, holds the answer
        assert delivery.tick() == 10  # one second's rate, in one batch
        wait_for(lambda: fake_twilio.accepted, 30, "the worker to reach Twilio")
        held = fake_twilio.accepted[0]["To"]
        assert count_by_status(campaign)[RecipientStatus.SENDING] == 1
        kill(first)
        release.set()
        assert redis.command("HLEN", "unacked") == "1"  # the batch is still owed

        time.sleep(4)  # past the visibility timeout: the next worker takes the batch back
        second = start_worker()
        tick_until(
            lambda: not count_by_status(campaign)[RecipientStatus.QUEUED],
            90,
            "every queued row to be sent",
        )
        wait_for(
            lambda: count_by_status(campaign)[RecipientStatus.SENT] == audience - 1,
            30,
            "the last batch",
        )

    # The held row's fate is unknown: after STALE_SENDING it shows so and is never resent.
    assert count_by_status(campaign)[RecipientStatus.SENDING] == 1
    later = timezone.now() + delivery.STALE_SENDING + timedelta(seconds=1)
    assert delivery.settle_lost_sends(later) == 1
    delivery.tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED

    rows = count_by_status(campaign)
    assert rows == {RecipientStatus.SENT: audience - 1, RecipientStatus.UNKNOWN: 1}
    unknown = CampaignRecipient.objects.get(campaign=campaign, status=RecipientStatus.UNKNOWN)
    assert (unknown.address, unknown.error_code) == (held, delivery.WORKER_LOST)
    sent_to = numbers_sent_to(fake_twilio)
    assert max(sent_to.values()) == 1, "a number got two messages"
    assert set(sent_to) == set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("address", flat=True)
    )
    assert "campaigns.tasks.send_batch" in second.log_path.read_text()


def test_a_stop_committed_while_the_worker_sends_the_batch_wins(
    inbox_a, max_manager, redis, budget, fake_twilio, start_worker
):
    customers(2)
    start_worker()
    with publishing_to(redis.url):
        campaign = launch(inbox_a, max_manager, rate=10)
        wait_for(lambda: frozen(campaign), 60, "the freeze")
        first, second = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")

        release = fake_twilio.then_hang()
        assert delivery.tick() == 2  # both in one batch, the first is being sent …
        wait_for(lambda: fake_twilio.accepted, 30, "the worker to reach Twilio")
        # … when the second's STOP is committed, before the worker claims it.
        record_opt_out(second.identity, channel="sms", source="keyword", keyword="STOP")
        release.set()

        wait_for(
            lambda: (
                not count_by_status(campaign)[RecipientStatus.QUEUED]
                and not count_by_status(campaign)[RecipientStatus.SENDING]
            ),
            30,
            "the batch to finish",
        )
        tick_until(lambda: Campaign.objects.get(pk=campaign.pk).status == "completed", 10)

    second.refresh_from_db()
    assert (second.status, second.skip_reason) == (RecipientStatus.SKIPPED, "opted_out")
    assert [form["To"] for form in fake_twilio.requests] == [first.address]


def test_with_redis_down_the_tick_sends_nothing_and_every_row_goes_once_it_is_back(
    inbox_a, max_manager, redis, budget, fake_twilio, start_worker
):
    audience = 12
    customers(audience)
    start_worker()
    with publishing_to(redis.url):
        campaign = launch(inbox_a, max_manager, rate=5)
        wait_for(lambda: frozen(campaign), 60, "the freeze")

        redis.stop()
        for _ in range(3):
            started = time.monotonic()
            assert delivery.tick() == 0  # no budget: nothing handed out, nothing raised
            assert time.monotonic() - started < 5, "the tick waited for Redis"
            time.sleep(1.0)
        assert count_by_status(campaign) == {RecipientStatus.QUEUED: audience}
        assert not fake_twilio.requests

        redis.start()  # back, and empty
        tick_until(
            lambda: count_by_status(campaign)[RecipientStatus.SENT] == audience,
            90,
            "every row to be sent",
        )
        tick_until(lambda: Campaign.objects.get(pk=campaign.pk).status == "completed", 10)

    sent_to = numbers_sent_to(fake_twilio)
    assert len(sent_to) == audience
    assert max(sent_to.values()) == 1
    assert len(fake_twilio.requests) == audience
