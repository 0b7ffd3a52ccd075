"""Routing mode: the agent is handed the oldest waiting conversation of their inboxes, up to
their capacity, replies, and resolving moves on to the next."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from inbox.actions import IncomingMessage, receive_message, reply
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
    ReadMarker,
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


def from_routing(conversation):
    """What the browser sends from the routing page: its address as the Referer (plain
    forms) or HX-Current-URL (htmx)."""
    return f"http://testserver{reverse('routing:conversation', args=[conversation.id])}"


def test_routing_mode_is_the_workspace_with_panel_comments_variables_and_send(
    client_for, alice, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5, body="Wo ist mein Paket?")
    route_next(agent=alice)

    page = client_for(alice).get(reverse("routing:index")).content.decode()

    assert 'id="thread-pane"' in page and 'id="composer"' in page
    assert 'id="contact-panel-pane"' in page and 'id="contact-panel"' in page
    assert (
        "Internal comment" in page
        and reverse("inbox:conversation_comment", args=[conversation.id]) in page
    )
    assert "Insert a variable" in page
    assert "+49 170 1234501" in page  # the number as people read it, not +491701234501
    assert ">Send</button>" in page and "Send reply" not in page
    for action in ("Resolve and next", "Pending and next", "Hand back"):
        assert action in page
    # The shortcut e (Resolve) presses the first of its buttons: routing's "Resolve and next".
    shortcut = page.index('data-shortcut="e"')
    assert page.rindex("<button", 0, shortcut) > page.index('class="routing-bar"')
    assert shortcut < page.index('id="thread-pane"')
    assert "Wo ist mein Paket?" in page


def test_opening_a_conversation_in_routing_mode_reads_it(client_for, alice, inbox_a):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)

    client_for(alice).get(reverse("routing:conversation", args=[conversation.id]))

    assert ReadMarker.objects.filter(user=alice, conversation=conversation).exists()


def test_replying_from_routing_mode_uses_the_client_id_once_and_comes_back(
    client_for, alice, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)
    client = client_for(alice)
    url = reverse("inbox:conversation_reply", args=[conversation.id])
    client_id = str(uuid.uuid4())

    for _ in range(2):
        response = client.post(
            url,
            {"body": "Das Paket kommt morgen.", "client_id": client_id},
            headers={"Referer": from_routing(conversation)},
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("routing:conversation", args=[conversation.id])
    assert (
        Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND).count() == 1
    )

    htmx = {"HX-Request": "true", "HX-Current-URL": from_routing(conversation)}
    sent = client.post(url, {"body": "Noch etwas.", "client_id": str(uuid.uuid4())}, headers=htmx)
    assert sent.status_code == 200
    assert 'id="thread-pane"' in sent.content.decode()
    # Routing has no conversation list, so the answer updates no list row.
    assert "conversation-row-" not in sent.content.decode()

    empty = client.post(url, {"body": "  ", "client_id": str(uuid.uuid4())}, headers=htmx)
    assert empty.status_code == 422


def test_a_refused_reply_from_routing_mode_keeps_the_draft_on_the_routing_page(
    client_for, alice, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)

    response = client_for(alice).post(
        reverse("inbox:conversation_reply", args=[conversation.id]),
        {"body": "Hallo {{ contact.unknown_thing }}", "client_id": str(uuid.uuid4())},
        headers={"Referer": from_routing(conversation)},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Resolve and next" in page  # the routing page, not the inbox
    assert "Hallo {{ contact.unknown_thing }}" in page
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_comment_and_a_confirmed_contact_from_routing_mode_come_back_to_it(
    client_for, alice, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)
    client = client_for(alice)
    back = reverse("routing:conversation", args=[conversation.id])
    headers = {"Referer": from_routing(conversation)}

    comment = client.post(
        reverse("inbox:conversation_comment", args=[conversation.id]),
        {"body": "Kunde ruft morgen an."},
        headers=headers,
    )
    confirm = client.post(
        reverse("inbox:contact_confirm", args=[conversation.id]),
        {"keep": "create", "first_name": "Lena"},
        headers=headers,
    )

    assert comment.status_code == confirm.status_code == 302
    assert comment["Location"] == confirm["Location"] == back
    conversation.refresh_from_db()
    assert conversation.contact_state == "confirmed" and conversation.contact.kind == "curated"


def test_the_panes_links_and_page_forms_stay_in_routing_mode(
    client_for, alice, inbox_a, monkeypatch
):
    monkeypatch.setattr("inbox.thread.THREAD_LIMIT", 1)
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=alice)
    reply(conversation, body="Wir sehen nach.", actor=alice)
    client = client_for(alice)
    here = reverse("routing:conversation", args=[conversation.id])

    page = client.get(here).content.decode()
    inbox_page = client.get(reverse("inbox:conversation", args=[conversation.id])).content.decode()

    # "Show the whole conversation" and, without JavaScript, "Create contact" ask for the
    # routing page again; in the inbox they ask for the inbox's.
    assert f'href="{here}?whole=1"' in page and f'action="{here}"' in page
    assert here not in inbox_page
    whole = client.get(here, {"whole": "1"}).content.decode()
    assert "Hallo, wo bleibt meine Lieferung?" in whole and "Resolve and next" in whole
    opened = client.get(here, {"keep_contact": "1"}).content.decode()
    form = opened[opened.index(f'id="keep-contact-{conversation.id}"') :]
    assert not form.split(">")[0].endswith("hidden")


def test_only_the_routing_page_of_this_site_counts_as_routing_mode(rf):
    from inbox.routing_views import is_routing_request

    assert is_routing_request(rf.post("/", HTTP_REFERER="http://testserver/routing/c/1/"))
    assert not is_routing_request(rf.post("/", HTTP_REFERER="http://testserver/inbox/c/1/"))
    assert not is_routing_request(rf.post("/", HTTP_REFERER="https://evil.example/routing/"))
    assert not is_routing_request(rf.post("/"))


def test_replying_to_someone_elses_conversation_explains_why_not(
    client_for, alice, max_manager, inbox_a
):
    conversation = waiting(inbox_a, 1, minutes_ago=5)
    route_next(agent=max_manager)

    page = client_for(alice).get(reverse("routing:conversation", args=[conversation.id]))
    assert "Max Manager is handling this conversation." in page.content.decode()

    response = client_for(alice).post(
        reverse("inbox:conversation_reply", args=[conversation.id]),
        {"body": "Ich auch!", "client_id": str(uuid.uuid4())},
        headers={"HX-Request": "true", "HX-Current-URL": from_routing(conversation)},
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
    for name in ("resolve", "pend", "hand_back"):
        response = client.post(reverse(f"routing:{name}", args=[conversation.id]), {"body": "x"})
        assert response.status_code == 404, name
    reply = client.post(
        reverse("inbox:conversation_reply", args=[conversation.id]),
        {"body": "x"},
        headers={"Referer": from_routing(conversation)},
    )
    assert reply.status_code == 404
    conversation.refresh_from_db()
    assert conversation.assignee == alice and conversation.status == ConversationStatus.OPEN


def test_an_agent_without_inboxes_is_told_so(client_for, alice):
    page = client_for(alice).get(reverse("routing:index")).content.decode()

    assert "You are not in any inbox yet" in page


def test_the_routing_page_has_a_fixed_number_of_queries(
    client_for, alice, inbox_a, django_assert_max_num_queries
):
    current = waiting(inbox_a, 0, minutes_ago=30)
    route_next(agent=alice)
    client = client_for(alice)
    client.get(reverse("routing:index"))
    with django_assert_max_num_queries(30) as few:
        response = client.get(reverse("routing:index"))
    count = len(few.captured_queries)
    assert response.status_code == 200
    assert f"#{current.number}" in response.content.decode()

    # More conversations in the queue, a longer thread, comments and notes on the contact.
    for number in range(1, 8):
        conversation = waiting(inbox_a, number, minutes_ago=number)
        Conversation.objects.filter(pk=conversation.pk).update(assignee=alice)
        receive_message(
            IncomingMessage(
                inbox=inbox_a,
                channel="sms",
                address="+49 170 1234500",
                body=f"Noch eine Frage {number}",
                provider="test",
                provider_message_id=f"more-{number}",
            )
        )
    client.get(reverse("routing:index"))

    with django_assert_max_num_queries(count):
        response = client.get(reverse("routing:index"))

    assert response.status_code == 200
    assert "Noch eine Frage 7" in response.content.decode()


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
