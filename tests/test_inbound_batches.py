"""Routing stored inbound events in batches: a fixed number of statements per batch, the
rules of receive_message kept (a replay stores nothing, one conversation per sender, a
sender's later message continues it), and a batch that fails or dies loses nothing."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact, Identity
from inbox import inbound
from inbox.actions import IncomingMessage, next_numbers, receive_messages
from inbox.models import Conversation, InboundEvent, InboxChannel, Message
from inbox.tasks import process_inbound
from tests.factories import inbound as receive
from tests.factories import inbox_with

OURS = "+4940111222"


def stored(senders: list[str], *, tag: str = "", body: str = "Wo bleibt meine Bestellung?"):
    return [
        InboundEvent.objects.create(
            provider="twilio",
            event_id=f"SM{tag}{i:030d}",
            payload={"MessageSid": f"SM{tag}{i}", "From": sender, "To": OURS,
                     "Body": f"{body} ({i})", "NumMedia": "0"},
        ).pk
        for i, sender in enumerate(senders)
    ]  # fmt: skip


@pytest.fixture
def support(alice):
    inbox = inbox_with("Support", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OURS)
    return inbox


def statements(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_a_batch_costs_the_same_statements_for_five_messages_as_for_twenty_five(support):
    def new_senders(n, tag):
        return stored([f"+49170{tag}{i:06d}" for i in range(n)], tag=tag)

    def known_senders(n, tag):
        return stored([f"+49170{tag}{i:06d}" for i in range(n)], tag=f"{tag}b")

    def routed(events):
        return statements(lambda: inbound.route_batch(first=events[0]))

    process_inbound(stored(["+49 170 5559999"], tag="warm")[0])  # settings made, lookups cached
    few_new, many_new = routed(new_senders(5, "1")), routed(new_senders(25, "2"))
    # The same senders again: known contacts continuing their open conversations.
    few_known, many_known = routed(known_senders(5, "1")), routed(known_senders(25, "2"))

    assert Message.objects.count() == 61
    assert Conversation.objects.count() == 31
    assert few_new == many_new
    assert few_known == many_known
    # Per batch, whatever its size; one message alone (receive_message) costs the same.
    assert many_new <= 30
    assert many_known <= 20


def test_a_sender_writing_twice_in_one_batch_gets_one_conversation(support):
    events = stored(["+49 170 5550001", "+49 170 5550002", "+491705550001"])

    process_inbound(events[0])

    first, other, again = (InboundEvent.objects.get(pk=pk).message for pk in events)
    assert first.conversation_id == again.conversation_id != other.conversation_id
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.last_message_preview.endswith("(2)")
    assert Contact.objects.count() == 2
    assert conversation.number < Conversation.objects.get(pk=other.conversation_id).number


def test_a_replay_and_a_duplicate_in_the_batch_store_one_message(support):
    earlier = receive(support, address="+49 170 5550001", provider_message_id="SM-1")

    def incoming(sid, body):
        return IncomingMessage(
            inbox=support, channel="sms", address="+49 170 5550002", body=body,
            provider="test", provider_message_id=sid,
        )  # fmt: skip

    replay, fresh, duplicate = receive_messages(
        [incoming("SM-1", "again"), incoming("SM-2", "new"), incoming("SM-2", "twice")]
    )

    assert (replay.message, replay.created) == (earlier, False)
    assert fresh.created and not duplicate.created
    assert duplicate.message == fresh.message
    assert Message.objects.filter(provider_message_id="SM-2").count() == 1


def test_a_malformed_sender_settles_its_event_and_routes_the_rest(support):
    events = stored(["+49 170 5550001", "not a number", "+49 170 5550002"])

    process_inbound(events[0])

    good, bad, other = (InboundEvent.objects.get(pk=pk) for pk in events)
    assert good.message and other.message and bad.message is None
    assert bad.processed_at is not None and bad.error
    assert bad.payload  # kept for a replay once fixed


def test_a_batch_that_fails_is_undone_and_routed_one_by_one(support, monkeypatch, caplog):
    events = stored(["+49 170 5550001", "+49 170 5550002", "+49 170 5550003"])
    route = inbound.router_for("twilio")

    def breaks_on_the_second(event):
        if event.pk == events[1]:
            raise RuntimeError("a bug")
        return route(event)

    monkeypatch.setattr(inbound, "router_for", lambda provider: breaks_on_the_second)
    monkeypatch.setattr(inbound, "FAILED", set())

    process_inbound(events[0])

    routed = {pk: InboundEvent.objects.get(pk=pk) for pk in events}
    assert routed[events[0]].message and routed[events[2]].message
    # The failing event alone stays waiting (its task and the sweeper retry it), stored nowhere.
    assert routed[events[1]].processed_at is None
    assert Message.objects.count() == 2
    assert "routing them one by one" in caplog.text
    # Later batches leave it out instead of failing on it again.
    caplog.clear()
    later = stored(["+49 170 5550004"], tag="later")
    process_inbound(later[0])
    assert InboundEvent.objects.get(pk=later[0]).message
    assert "routing them one by one" not in caplog.text
    assert InboundEvent.objects.get(pk=events[1]).processed_at is None


class WorkerKilled(BaseException):
    """Stands for the process dying mid-batch: nothing catches it."""


def test_a_worker_killed_mid_batch_loses_nothing(support, monkeypatch):
    events = stored(["+49 170 5550001", "+49 170 5550002", "+49 170 5550001"])
    store = Message.objects.bulk_create

    def dies(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(Message.objects, "bulk_create", dies)
    with pytest.raises(WorkerKilled):
        process_inbound(events[0])

    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    assert not Contact.objects.exists()
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 3

    monkeypatch.setattr(Message.objects, "bulk_create", store)
    process_inbound(events[1])  # the next task (or the sweeper) routes them all
    assert Message.objects.count() == 3
    assert Conversation.objects.count() == 2


def test_a_message_routed_late_leaves_the_newer_preview(support):
    newer = receive(support, address="+49 170 5550001", body="the newer one")
    older = receive(
        support,
        address="+49 170 5550001",
        body="the older one",
        received_at=newer.created_at - timezone.timedelta(minutes=5),
    )

    conversation = Conversation.objects.get(pk=newer.conversation_id)
    assert older.conversation_id == conversation.pk
    assert conversation.last_message_preview == "the newer one"
    assert conversation.last_message_at == newer.created_at


def test_numbers_are_unique_and_increasing(db):
    first = next_numbers(3)
    second = next_numbers(2)

    assert first == sorted(first) and second == sorted(second)
    assert len({*first, *second}) == 5
    assert min(second) > max(first)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL")
@pytest.mark.parametrize("known", [False, True])
@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_routing_one_sender_at_once_start_one_conversation(
    transactional_db, alice, attempt, known
):
    inbox = inbox_with("Support", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OURS)
    sender = f"+49 170 55500{attempt:02d}"
    if known:  # a contact without a conversation here: the sender lock keeps it to one
        contact = Contact.objects.create(first_name="Ada")
        Identity.objects.create(
            contact=contact, kind="phone", value=sender, normalised=sender.replace(" ", "")
        )
    events = stored([sender] * 2, tag=str(attempt))
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(pk):
        try:
            barrier.wait(timeout=10)
            inbound.process(pk)  # each its own event, as two busy workers would
        except BaseException as failure:
            failures.append(failure)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not failures
    assert Message.objects.count() == 2
    assert Conversation.objects.count() == 1
    assert Contact.objects.count() == 1
