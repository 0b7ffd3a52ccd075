"""requeue_outbound: stuck queued messages are published again and sent once; unknown ones are
listed and never sent again."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inbox import actions
from inbox.channels import UnknownOutcome, locmem
from inbox.models import DeliveryStatus, InboxChannel, Message
from inbox.tasks import deliver_message
from tests.factories import inbound, inbox_with


def run(*args) -> str:
    out = io.StringIO()
    call_command("requeue_outbound", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _locmem_sms(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield
    locmem.reset()


@pytest.fixture
def conversation(alice):
    inbox = inbox_with("Service", members=[alice])
    channel = InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    return inbound(inbox, inbox_channel=channel).conversation


def queued(conversation, alice, *, minutes_ago: int, body="Danke!") -> Message:
    """A reply whose task was lost: committed `queued`, never published (on_commit is not run
    inside the test's transaction)."""
    message = actions.reply(conversation, body=body, actor=alice)
    Message.objects.filter(pk=message.pk).update(
        due_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return message


def test_a_dry_run_lists_the_stuck_messages_and_publishes_nothing(conversation, alice):
    stuck = queued(conversation, alice, minutes_ago=30)
    queued(conversation, alice, minutes_ago=1)  # not stuck yet

    output = run("--dry-run")

    assert "1 stuck message(s) would be published again" in output
    assert str(stuck.pk) in output
    assert not locmem.outbox
    assert Message.objects.get(pk=stuck.pk).status == DeliveryStatus.QUEUED


def test_stuck_messages_are_sent_once_even_when_requeued_twice(conversation, alice):
    stuck = queued(conversation, alice, minutes_ago=30)

    output = run("--older-than", "10")
    deliver_message(stuck.pk)  # the lost task turns up after all
    run("--older-than", "0")

    assert "1 stuck message(s) published again" in output
    assert len(locmem.outbox) == 1
    assert Message.objects.get(pk=stuck.pk).status == DeliveryStatus.SENT


def test_unknown_outcomes_are_listed_and_never_sent_again(conversation, alice):
    message = queued(conversation, alice, minutes_ago=30)
    locmem.failures.append(UnknownOutcome("Connection to Twilio lost while sending"))
    deliver_message(message.pk)
    Message.objects.filter(pk=message.pk).update(
        attempted_at=timezone.now() - timedelta(minutes=30)
    )

    output = run("--status", "queued,unknown")

    assert "unknown: 1 message(s) may have been sent; none is sent again" in output
    assert f"message {message.pk} in conversation {conversation.pk}" in output
    assert not locmem.outbox
    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.UNKNOWN


def test_a_broker_that_is_down_is_reported_and_the_messages_stay_queued(
    conversation, alice, monkeypatch
):
    stuck = queued(conversation, alice, minutes_ago=30)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(deliver_message, "apply_async", refuse)

    with pytest.raises(CommandError, match="The broker refused the tasks after 0"):
        run()
    assert Message.objects.get(pk=stuck.pk).status == DeliveryStatus.QUEUED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "sent"], "--status takes queued and/or unknown"),
        (["--status", ","], "--status takes"),
        (["--older-than", "-5"], "0 minutes or more"),
        (["--limit", "0"], "--limit must be"),
    ],
)
def test_bad_options_get_a_clear_answer(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
