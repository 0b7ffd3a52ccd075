"""Races settled by PostgreSQL: two threads, two connections, one moment."""

import threading

import pytest
from django.db import connection, connections

from contacts.models import Contact
from inbox.actions import assignment
from inbox.models import Conversation, Message
from lib.errors import ActionRefused
from tests.factories import inbound, inbox_with

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and concurrent connections need PostgreSQL"
)


def at_once(*calls):
    """Run each call in its own thread and connection, released together; returns results
    (or the exception each raised) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # the outcome under test may be an exception
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def sales(transactional_db, alice, bob, max_manager):
    return inbox_with("Sales", "assignment", members=[alice, bob], managers=[max_manager])


@pytest.mark.parametrize("attempt", range(5))
def test_two_agents_pressing_assign_to_me_at_once_one_wins(sales, alice, bob, attempt):
    conversation = inbound(sales, address=f"+49 170 12345{attempt:02d}").conversation

    results = at_once(
        lambda: assignment.assign_to_me(conversation, actor=alice),
        lambda: assignment.assign_to_me(conversation, actor=bob),
    )

    refused = [r for r in results if isinstance(r, ActionRefused)]
    assert len(refused) == 1, results
    winner = Conversation.objects.get(pk=conversation.pk).assignee
    assert winner in (alice, bob)
    assert f"{winner} has just taken" in refused[0].message
    assert conversation.events.filter(kind="assigned").count() == 1


def test_the_same_webhook_delivered_twice_at_once_stores_one_message(sales):
    results = at_once(*[lambda: inbound(sales, provider_message_id="SM-race") for _ in range(4)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Message.objects.filter(provider_message_id="SM-race").count() == 1
    assert Conversation.objects.count() == 1


def test_two_first_messages_from_an_unknown_sender_make_one_contact_and_one_conversation(sales):
    results = at_once(
        lambda: inbound(sales, address="+49 151 27777777", provider_message_id="first"),
        lambda: inbound(sales, address="+49 151 27777777", provider_message_id="second"),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_concurrent_routing_hands_two_agents_different_conversations(sales, alice, bob):
    for n in range(2):
        inbound(sales, address=f"+49 170 99999{n:02d}")

    results = at_once(
        lambda: assignment.route_next(agent=alice), lambda: assignment.route_next(agent=bob)
    )

    assert all(isinstance(r, Conversation) for r in results), results
    assert results[0].pk != results[1].pk
