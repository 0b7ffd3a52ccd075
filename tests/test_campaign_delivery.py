"""Paced campaign delivery without a worker process (campaigns.delivery, campaigns.webhooks):
the shared budget, Twilio's 429 and 21610, the status callback, a STOP that races the
send, cancel, pause and resume. Runs on SQLite and PostgreSQL; tasks run in-process.

The same with real worker processes and SIGKILL: tests/test_campaign_worker.py."""

import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from twilio.request_validator import RequestValidator

from campaigns import delivery
from campaigns.actions import campaigns as actions
from campaigns.models import (
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    RecipientStatus,
    SkipReason,
)
from contacts.consent import OptOut
from contacts.consent_actions import record_opt_out
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.factories import ContactFactory, identity, inbox_with
from tests.fakes.twilio_api import Error

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+4940123456"
PUBLIC = "https://support.nordlicht.example"
STATUS_PATH = "campaign_webhooks:twilio_status"


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """Launch publishes the freeze "on commit"; inside the test's transaction it runs at
    once (eagerly), as right after the commit."""
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )


@pytest.fixture(autouse=True)
def budget(monkeypatch):
    """A budget of this test's own (`limits` in memory), so no other test's sends count
    against it."""
    limiter = MovingWindowRateLimiter(MemoryStorage())
    monkeypatch.setattr(delivery, "_limiter", lambda: limiter)
    return limiter


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


@pytest.fixture
def inbox_a(max_manager):
    inbox = inbox_with("Service", managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    return inbox


def customers(count, *, start=0, company="Nordlicht"):
    """Contacts with one mobile number each; returns their phone identities."""
    found = []
    for n in range(start, start + count):
        person = ContactFactory(first_name=f"Kunde{n}", company=company)
        found.append(identity(person, "phone", f"+49170{5550000 + n}"))
    return found


def launched(inbox, actor, *, rate=10.0, company="Nordlicht", body=None):
    """A service campaign (no consent needed) to every contact of `company`, sendable at
    any time (no send-window days), launched and frozen."""
    campaign = actions.create_campaign(
        inbox=inbox, actor=actor, name="Lieferung", channel="sms", type=CampaignType.SERVICE
    )
    actions.update_campaign(
        campaign,
        actor=actor,
        values={
            "body": body or "Hallo {{ contact.first_name }}, Ihr Paket kommt morgen.",
            "audience": {
                "match": "all",
                "rules": [{"field": "company", "op": "equals", "value": company}],
            },
            "window_days": [],
            "rate": rate,
        },
    )
    actions.launch_campaign(campaign, actor=actor)
    campaign.refresh_from_db()
    assert campaign.frozen_at is not None
    return campaign


def statuses(campaign):
    return dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .values_list("identity__normalised", "status")
        .order_by()
    )


# --- The shared budget --------------------------------------------------------------------


def early_in_a_window(seconds=1):
    """The budget is one per second of the clock (per `seconds`): a test that spends it
    twice starts early in one, so that both calls fall into it."""
    left = seconds - time.time() % seconds
    if left < seconds / 2:
        time.sleep(left + 0.01)


def test_the_budget_gives_the_rate_per_second_and_no_more():
    early_in_a_window()
    assert delivery.take_budget(1, 5, [1] * 5) == 5
    assert delivery.take_budget(1, 5, [1] * 5) == 0  # the same second: nothing left
    assert delivery.take_budget(2, 5, [1] * 3) == 3  # another sender has its own


def test_the_next_second_has_the_whole_rate_again_however_early_the_tick_comes():
    early_in_a_window()
    assert delivery.take_budget(5, 5, [1] * 5) == 5
    time.sleep(1 - time.time() % 1 + 0.001)  # the next tick, a bit less than a second later
    assert delivery.take_budget(5, 5, [1] * 5) == 5


def test_a_message_of_several_segments_costs_its_segments():
    early_in_a_window()
    assert delivery.take_budget(3, 5, [3, 3]) == 1
    assert delivery.take_budget(3, 5, [2]) == 1
    assert delivery.take_budget(3, 5, [1]) == 0


def test_a_rate_below_one_sends_one_message_per_so_many_seconds():
    early_in_a_window(2)
    assert delivery.take_budget(4, 0.5, [1, 1]) == 1
    assert delivery.take_budget(4, 0.5, [1]) == 0


def test_a_tick_hands_out_the_rate_and_leases_what_it_handed(inbox_a, max_manager, sms):
    customers(8)
    campaign = launched(inbox_a, max_manager, rate=5)
    before = timezone.now()
    early_in_a_window()
    assert delivery.tick() == 5
    assert len(sms) == 5
    assert delivery.tick() == 0  # the same second: the sender's budget is spent
    assert len(sms) == 5
    waiting = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED)
    assert waiting.count() == 3
    assert all(row.not_before <= before + timedelta(seconds=1) for row in waiting)


def test_a_budget_that_is_unavailable_sends_nothing_and_loses_nothing(
    inbox_a, max_manager, sms, monkeypatch
):
    customers(3)
    campaign = launched(inbox_a, max_manager)

    class Down:
        def hit(self, *args, **kwargs):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(delivery, "_limiter", Down)
    assert delivery.tick() == 0
    assert not sms
    assert set(statuses(campaign).values()) == {RecipientStatus.QUEUED}


# --- What Twilio answers ------------------------------------------------------------------


def test_a_429_halves_the_rate_once_and_queues_the_row_again_later(
    inbox_a, max_manager, fake_twilio
):
    customers(2)
    campaign = launched(inbox_a, max_manager, rate=10)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id"))
    fake_twilio.then(Error(429, 20429, "Too Many Requests"), Error(429, 20429, "Too Many Requests"))

    before = timezone.now()
    assert delivery.send_batch([row.pk for row in rows]) == {RecipientStatus.QUEUED: 2}

    campaign.refresh_from_db()
    assert campaign.rate == 5  # halved once, although both were refused
    events = CampaignEvent.objects.filter(campaign=campaign, kind=CampaignEvent.Kind.RATE_REDUCED)
    assert [(e.data["old"], e.data["new"]) for e in events] == [(10.0, 5.0)]
    for row in rows:
        row.refresh_from_db()
        assert row.status == RecipientStatus.QUEUED
        assert row.error_code == "20429"
        assert row.attempts == 1
        assert row.not_before >= before + timedelta(seconds=5)
    assert not fake_twilio.accepted
    # Not due yet: the next tick leaves them alone …
    assert delivery.tick() == 0
    # … and once their time comes they go, once each.
    assert delivery.tick(now=timezone.now() + timedelta(seconds=6)) == 2
    assert sorted(form["To"] for form in fake_twilio.accepted) == sorted(
        row.address for row in rows
    )
    assert set(statuses(campaign).values()) == {RecipientStatus.SENT}


def test_21610_records_the_providers_opt_out_and_the_next_campaign_skips_it(
    inbox_a, max_manager, fake_twilio
):
    (unsubscribed,) = customers(1)
    first = launched(inbox_a, max_manager)
    fake_twilio.then(Error(400, 21610, "Attempt to send to unsubscribed recipient"))

    assert delivery.tick() == 1

    row = CampaignRecipient.objects.get(campaign=first)
    assert (row.status, row.error_code) == (RecipientStatus.FAILED, "21610")
    assert row.opted_out_at is not None
    opt_out = OptOut.objects.get(identity=unsubscribed)
    assert (opt_out.source, opt_out.provider_code, opt_out.campaign_id) == (
        "provider",
        "21610",
        first.pk,
    )

    second = launched(inbox_a, max_manager)
    row = CampaignRecipient.objects.get(campaign=second)
    assert (row.status, row.skip_reason) == (RecipientStatus.SKIPPED, SkipReason.OPTED_OUT)
    assert delivery.tick() == 0
    assert len(fake_twilio.requests) == 1


# --- Twilio's status callbacks ------------------------------------------------------------


@pytest.fixture
def public(settings):
    """Behind a proxy at PUBLIC: Twilio signs that URL, the app sees testserver."""
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"


def status_callback(recipient, status, *, sid=None, signed=True, **extra):
    path = f"{reverse(STATUS_PATH)}?{urlencode({'recipient': recipient.pk})}"
    params = {
        "MessageSid": sid or recipient.provider_message_id,
        "AccountSid": django_settings.TWILIO_ACCOUNT_SID,
        "MessageStatus": status,
        **extra,
    }
    headers = {}
    if signed:
        validator = RequestValidator(django_settings.TWILIO_AUTH_TOKEN)
        headers["X-Twilio-Signature"] = validator.compute_signature(PUBLIC + path, params)
    return Client().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


@pytest.fixture
def sent_recipient(public, inbox_a, max_manager, sms):
    customers(1)
    campaign = launched(inbox_a, max_manager)
    assert delivery.tick() == 1
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    assert recipient.status == RecipientStatus.SENT
    assert recipient.provider_message_id == sms[0].sid
    return recipient


def test_the_status_callback_moves_sent_to_delivered(sent_recipient):
    assert status_callback(sent_recipient, "delivered").status_code == 204
    sent_recipient.refresh_from_db()
    assert sent_recipient.status == RecipientStatus.DELIVERED
    assert sent_recipient.delivered_at is not None


def test_a_sent_callback_arriving_after_delivered_changes_nothing(sent_recipient):
    assert status_callback(sent_recipient, "delivered").status_code == 204
    assert status_callback(sent_recipient, "sent").status_code == 204
    assert status_callback(sent_recipient, "delivered").status_code == 204  # a replay
    sent_recipient.refresh_from_db()
    assert sent_recipient.status == RecipientStatus.DELIVERED


def test_an_unsigned_or_forged_callback_is_refused(sent_recipient):
    assert status_callback(sent_recipient, "delivered", signed=False).status_code == 403
    forged = status_callback(sent_recipient, "failed", signed=False, ErrorCode="21610")
    assert forged.status_code == 403
    sent_recipient.refresh_from_db()
    assert sent_recipient.status == RecipientStatus.SENT
    assert not OptOut.objects.exists()


def test_a_callback_with_another_sid_changes_nothing(sent_recipient):
    assert status_callback(sent_recipient, "failed", sid="SM" + "0" * 32).status_code == 204
    sent_recipient.refresh_from_db()
    assert sent_recipient.status == RecipientStatus.SENT


# --- A STOP that races the send -----------------------------------------------------------


def test_a_stop_committed_after_the_lease_but_before_the_claim_wins(inbox_a, max_manager, sms):
    stopping, staying = customers(2)
    campaign = launched(inbox_a, max_manager)
    rows = {r.identity_id: r for r in CampaignRecipient.objects.filter(campaign=campaign)}
    # The tick leased both rows and handed them to a worker (the task is on its way) …
    CampaignRecipient.objects.filter(campaign=campaign).update(
        not_before=timezone.now() + delivery.LEASE
    )
    # … then the customer's STOP is committed …
    record_opt_out(stopping, channel="sms", source="keyword", keyword="STOP")
    # … and only then does the worker claim the rows.
    now = timezone.now()
    assert delivery.claim(rows[stopping.pk].pk, "sms", now) is False
    assert delivery.claim(rows[staying.pk].pk, "sms", now) is True


def test_a_batch_sends_nothing_to_who_stopped_meanwhile(inbox_a, max_manager, sms):
    stopping, staying = customers(2)
    campaign = launched(inbox_a, max_manager)
    ids = list(CampaignRecipient.objects.filter(campaign=campaign).values_list("pk", flat=True))
    record_opt_out(stopping, channel="sms", source="keyword", keyword="STOP")

    delivery.send_batch(ids)

    assert [sent.to for sent in sms] == [staying.normalised]
    assert statuses(campaign)[staying.normalised] == RecipientStatus.SENT
    skipped = CampaignRecipient.objects.get(campaign=campaign, identity=stopping)
    assert (skipped.status, skipped.skip_reason) == (RecipientStatus.SKIPPED, "opted_out")
    # Nothing goes to them later either, and the campaign still finishes.
    for _ in range(3):
        delivery.tick(now=timezone.now() + delivery.LEASE + timedelta(seconds=1))
    assert [sent.to for sent in sms] == [staying.normalised]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


# --- Cancel, pause and resume -------------------------------------------------------------


def test_cancel_marks_what_waits_as_not_sent_and_nothing_more_goes(inbox_a, max_manager, sms):
    customers(5)
    campaign = launched(inbox_a, max_manager, rate=2)
    assert delivery.tick() == 2
    leased = list(
        CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    assert len(leased) == 3

    actions.cancel_campaign(campaign, actor=max_manager)

    counts = list(statuses(campaign).values())
    assert (counts.count(RecipientStatus.SENT), counts.count(RecipientStatus.CANCELLED)) == (2, 3)
    # A batch handed out before the cancel and a later tick both send nothing.
    assert delivery.send_batch(leased) == {}
    assert delivery.tick(now=timezone.now() + timedelta(minutes=1)) == 0
    assert len(sms) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_pause_stops_claims_and_resume_continues(inbox_a, max_manager, sms):
    customers(3)
    campaign = launched(inbox_a, max_manager)
    row = CampaignRecipient.objects.filter(campaign=campaign).order_by("id").first()

    actions.pause_campaign(campaign, actor=max_manager)

    assert delivery.claim(row.pk, "sms", timezone.now()) is False
    assert delivery.send_batch([row.pk]) == {"not_claimed": 1}
    assert delivery.tick() == 0
    assert not sms
    assert set(statuses(campaign).values()) == {RecipientStatus.QUEUED}

    actions.resume_campaign(campaign, actor=max_manager)

    assert delivery.tick() == 3
    assert len(sms) == 3
    delivery.tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_a_lost_send_becomes_unknown_and_is_never_sent_again(inbox_a, max_manager, sms):
    customers(1)
    campaign = launched(inbox_a, max_manager)
    row = CampaignRecipient.objects.get(campaign=campaign)
    # A worker claimed it and died before recording the outcome.
    assert delivery.claim(row.pk, "sms", timezone.now()) is True

    later = timezone.now() + delivery.STALE_SENDING + timedelta(seconds=1)
    assert delivery.settle_lost_sends(timezone.now()) == 0  # not yet
    assert delivery.tick(now=later) == 0
    row.refresh_from_db()
    assert (row.status, row.error_code) == (RecipientStatus.UNKNOWN, delivery.WORKER_LOST)
    assert not sms
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
