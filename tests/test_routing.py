"""Routing mode: the agent is handed the oldest waiting conversation of their inboxes, up to
their capacity, replies, and resolving moves on to the next."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from inbox.actions import IncomingMessage, receive_message
from inbox.actions.assignment import route_next
from inbox.models import (
    AgentCapacity,
    Conversation,
    ConversationStatus,
    Direction,
    Inbox,
    InboxMode,
    InboxRole,
    Membership,
    Message,
)


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = Inbox.objects.create(name="Kundenservice", mode=InboxMode.ASSIGNMENT)
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=inbox, user=max_manager, role=InboxRole.MANAGER)
    return inbox


@pytest.fixture
def inbox_b(bob):
    inbox = Inbox.objects.create(name="Vertrieb", mode=InboxMode.ASSIGNMENT)
    Membership.objects.create(inbox=inbox, user=bob, role=InboxRole.MEMBER)
    return inbox


def waiting(inbox, number, *, minutes_ago, body="Hallo, wo bleibt meine Lieferung?"):
    received = receive_message(
        IncomingMessage(
            inbox=inbox,
            channel="sms",
            address=f"+49 170 12345{number:02d}",
            body=body,
            provider="test",
            provider_message_id=f"{inbox.pk}-{number}",
            received_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
    )
    return received.message.conversation


def test_with_nothing_assigned_the_page_offers_the_next_conversation(client_for, alice, inbox_a):
    waiting(inbox_a, 1, minutes_ago=5)
    waiting(inbox_a, 2, minutes_ago=50)

    page = client_for(alice).get(reverse("routing:index")).content.decode()

    assert "2 conversations are waiting" in page
    assert "Get next conversation" in page
    assert "0 of 5 open" in page


def test_get_next_hands_the_oldest_waiting_conversation_and_shows_it(client_for, alice, inbox_a):
    newer = waiting(inbox_a, 1, minutes_ago=5, body="Neuere Frage")
    older = waiting(inbox_a, 2, minutes_ago=50, body="Ältere Frage zur Rechnung")
    client = client_for(alice)

    response = client.post(reverse("routing:next"), follow=True)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.assignee == alice and newer.assignee is None
    page = response.content.decode()
    assert "Ältere Frage zur Rechnung" in page
    assert f"Conversation #{older.number} is yours now." in page
    assert "1 of 5 open" in page
    assert "Resolve and next" in page


def test_an_agent_never_gets_conversations_of_other_inboxes(client_for, bob, inbox_a, inbox_b):
    waiting(inbox_a, 1, minutes_ago=5)

    response = client_for(bob).post(reverse("routing:next"), follow=True)

    assert "Nothing is waiting" in response.content.decode()
    assert Conversation.objects.get().assignee is None


def test_reply_uses_the_client_id_once_and_shows_errors(client_for, alice, inbox_a):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)
    client = client_for(alice)
    url = reverse("routing:reply", args=[conversation.id])
    client_id = str(uuid.uuid4())

    for _ in range(2):
        response = client.post(url, {"body": "Das Paket kommt morgen.", "client_id": client_id})
        assert response.status_code == 302
    assert (
        Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND).count() == 1
    )

    empty = client.post(
        url, {"body": "  ", "client_id": str(uuid.uuid4())}, headers={"HX-Request": "true"}
    )
    assert empty.status_code == 422
    assert "Write a reply first." in empty.content.decode()
    assert 'id="routing-conversation"' in empty.content.decode()


def test_replying_to_someone_elses_conversation_explains_why_not(
    client_for, alice, max_manager, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=max_manager)

    page = client_for(alice).get(reverse("routing:conversation", args=[conversation.id]))
    assert "Max Manager is handling this conversation." in page.content.decode()

    response = client_for(alice).post(
        reverse("routing:reply", args=[conversation.id]),
        {"body": "Ich auch!", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 403  # as in the inbox workspace: not theirs to answer
    assert "Max Manager is handling this conversation." in response.content.decode()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_resolve_and_next_moves_on_to_the_next_waiting_conversation(client_for, alice, inbox_a):
    first = waiting(inbox_a, 1, minutes_ago=50)
    second = waiting(inbox_a, 2, minutes_ago=5, body="Zweite Frage")
    route_next(agent=alice)

    response = client_for(alice).post(reverse("routing:resolve", args=[first.id]), follow=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ConversationStatus.RESOLVED
    assert second.assignee == alice
    page = response.content.decode()
    assert "Zweite Frage" in page
    assert f"Here is the next one: #{second.number}." in page


def test_pending_keeps_it_and_counts_toward_capacity(client_for, alice, inbox_a):
    AgentCapacity.objects.create(user=alice, limit=1)
    first = waiting(inbox_a, 1, minutes_ago=50)
    waiting(inbox_a, 2, minutes_ago=5)
    route_next(agent=alice)
    client = client_for(alice)

    response = client.post(reverse("routing:pend", args=[first.id]), follow=True)

    first.refresh_from_db()
    assert first.status == ConversationStatus.PENDING and first.assignee == alice
    page = response.content.decode()
    assert "You are at your capacity of 1 open conversation" in page
    assert "1 of 1 open" in page
    assert Conversation.objects.filter(assignee=alice).count() == 1


def test_hand_back_unassigns(client_for, alice, inbox_a):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)

    client_for(alice).post(reverse("routing:hand_back", args=[conversation.id]))

    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_routing_urls_of_another_inbox_are_404(client_for, bob, alice, inbox_a, inbox_b):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)
    client = client_for(bob)

    assert client.get(reverse("routing:conversation", args=[conversation.id])).status_code == 404
    for name in ("reply", "resolve", "pend", "hand_back"):
        response = client.post(reverse(f"routing:{name}", args=[conversation.id]), {"body": "x"})
        assert response.status_code == 404, name
    conversation.refresh_from_db()
    assert conversation.assignee == alice and conversation.status == ConversationStatus.OPEN


def test_an_agent_without_inboxes_is_told_so(client_for, alice):
    page = client_for(alice).get(reverse("routing:index")).content.decode()

    assert "You are not in any inbox yet" in page


def test_the_routing_page_has_a_fixed_number_of_queries(
    client_for, alice, inbox_a, django_assert_max_num_queries
):
    for number in range(4):
        conversation = waiting(inbox_a, number, minutes_ago=number + 1)
        Conversation.objects.filter(pk=conversation.pk).update(assignee=alice)
    client = client_for(alice)
    client.get(reverse("routing:index"))

    with django_assert_max_num_queries(14):
        response = client.get(reverse("routing:index"))

    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
def test_two_agents_routing_at_the_same_moment_get_different_conversations(
    transactional_db, alice, bob, inbox_a
):
    Membership.objects.create(inbox=inbox_a, user=bob, role=InboxRole.MEMBER)
    for number in range(3):
        waiting(inbox_a, number, minutes_ago=10 - number)
    barrier = threading.Barrier(2)
    results = {}
    errors = []

    def work(agent):
        try:
            barrier.wait(timeout=10)
            routed = route_next(agent=agent)
            results[agent.email] = routed.pk if routed else None
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(agent,)) for agent in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert None not in results.values()
    assert len(set(results.values())) == 2
    assigned = dict(
        Conversation.objects.filter(assignee__isnull=False).values_list("pk", "assignee")
    )
    assert assigned == {results[alice.email]: alice.pk, results[bob.email]: bob.pk}
