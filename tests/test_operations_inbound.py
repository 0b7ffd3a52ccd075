"""inbound_events list | replay | purge, and the nightly purge of unrouted events."""

import io
from datetime import timedelta

import pytest
from django.conf import settings as project_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inbox import inbound
from inbox.models import InboundEvent, InboxChannel, Message
from operations.tasks import purge_unrouted_inbound_events
from tests.factories import inbox_with

TEXT = "Hallo, ich brauche Hilfe mit meinem Vertrag"


def run(*args) -> str:
    out = io.StringIO()
    call_command("inbound_events", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def unrouted(sid: str, *, to="+4930999999", days_ago=0) -> InboundEvent:
    """A Twilio message to a number no inbox owns, routed (and so settled unrouted)."""
    event = InboundEvent.objects.create(
        provider="twilio",
        event_id=sid,
        payload={"MessageSid": sid, "From": "+4917012345689", "To": to, "Body": TEXT,
                 "NumMedia": "0"},
        received_at=timezone.now() - timedelta(days=days_ago),
    )  # fmt: skip
    inbound.process(event.pk)
    event.refresh_from_db()
    assert event.error.startswith("No inbox owns")
    return event


def test_list_shows_where_unrouted_events_were_sent_not_who_wrote_what(db):
    event = unrouted("SM" + "1" * 32)

    output = run("list")

    assert str(event.pk) in output and "+4930999999" in output and "No inbox owns" in output
    assert TEXT not in output and "12345689" not in output


def test_list_pending_and_nothing_to_list(db):
    assert "No waiting events." in run("list", "--pending")
    assert "No unrouted events." in run("list")


def test_replay_routes_an_event_once_its_number_is_set_up(alice):
    event = unrouted("SM" + "2" * 32)
    inbox = inbox_with("Service", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930999999")

    output = run("replay", str(event.pk))
    again = io.StringIO()
    with pytest.raises(CommandError):
        call_command("inbound_events", "replay", str(event.pk), stdout=again)

    [message] = Message.objects.all()
    assert message.body == TEXT and message.conversation.inbox == inbox
    assert f"routed, message {message.pk}" in output
    assert "routed already" in again.getvalue()
    event.refresh_from_db()
    assert event.payload == {} and event.message_id == message.pk


def test_replay_all_reports_those_still_unrouted(db):
    unrouted("SM" + "3" * 32)

    output = run("replay", "--all")

    assert "still unrouted: No inbox owns" in output
    assert "0 routed, 1 still unrouted, 0 failed" in output
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["replay"], "Give event ids or --all"), (["replay", "424242"], "could not be replayed")],
)
def test_replay_refuses_bad_input_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_purge_deletes_old_unrouted_events_only(alice):
    old = unrouted("SM" + "4" * 32, days_ago=40)
    recent = unrouted("SM" + "5" * 32, days_ago=3)
    pending = InboundEvent.objects.create(
        provider="twilio", event_id="SM" + "6" * 32, payload={"To": "+4930999999"},
        received_at=timezone.now() - timedelta(days=90),
    )  # fmt: skip

    dry = run("purge", "--older-than-days", "30", "--dry-run")
    assert "1 unrouted event(s) older than 30 days would be deleted" in dry
    assert InboundEvent.objects.filter(pk=old.pk).exists()

    done = run("purge", "--older-than-days", "30")
    assert "1 unrouted event(s) older than 30 days deleted" in done
    assert set(InboundEvent.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


def test_purge_refuses_an_age_under_a_day(db):
    with pytest.raises(CommandError, match="at least one day"):
        run("purge", "--older-than-days", "0")


def test_the_nightly_task_purges_after_the_retention_setting(settings, db):
    settings.UNROUTED_INBOUND_RETENTION_DAYS = 10
    unrouted("SM" + "7" * 32, days_ago=11)
    kept = unrouted("SM" + "8" * 32, days_ago=9)

    assert purge_unrouted_inbound_events() == 1
    assert list(InboundEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_beat_runs_the_purge_every_night_on_the_bulk_queue():
    entry = project_settings.CELERY_BEAT_SCHEDULE["purge-unrouted-inbound-events"]

    assert entry["task"] == "operations.tasks.purge_unrouted_inbound_events"
    route = project_settings.CELERY_TASK_ROUTES["operations.tasks.*"]
    assert route["queue"] == project_settings.CELERY_WORKLOAD_QUEUES["bulk"]
    assert project_settings.UNROUTED_INBOUND_RETENTION_DAYS == 30
