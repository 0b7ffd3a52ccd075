"""Routing stored inbound events: a task takes other waiting events along (a burst costs one
trip through the broker per batch, not per message), and an event is routed once."""

from inbox import inbound
from inbox.models import InboundEvent, InboxChannel, Message
from inbox.tasks import process_inbound
from tests.factories import inbox_with


def stored(n: int, to: str) -> list[int]:
    return [
        InboundEvent.objects.create(
            provider="twilio",
            event_id=f"SM{n:032d}{i}",
            payload={"MessageSid": f"SM{n}{i}", "From": f"+4917055500{i:02d}", "To": to,
                     "Body": f"Nachricht {i}", "NumMedia": "0"},
        ).pk
        for i in range(n)
    ]  # fmt: skip


def test_a_routing_task_takes_the_other_waiting_events_along(alice):
    inbox = inbox_with("Support", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111222")
    events = stored(5, "+4940111222")

    process_inbound(events[2])

    assert Message.objects.count() == 5
    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()
    # The other events' own tasks find them routed and change nothing.
    for pk in events:
        process_inbound(pk)
    assert Message.objects.count() == 5


def test_waiting_lists_the_oldest_unrouted_events_first(alice):
    inbox = inbox_with("Support", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111222")
    events = stored(3, "+4940111222")
    inbound.process(events[0])

    assert inbound.waiting() == events[1:]
