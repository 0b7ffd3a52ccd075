"""The agent workspace over HTTP: list views, thread, composer rules, actions, live poll."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.actions import IncomingMessage, assignment, receive_message, reply
from inbox.models import Comment, Conversation, Inbox, InboxRole, Membership, Message

_ids = iter(range(10**6))


def inbound(inbox, address="+49 170 1234567", body="Wo bleibt meine Bestellung?"):
    return receive_message(
        IncomingMessage(
            inbox=inbox,
            channel="sms",
            address=address,
            body=body,
            provider="test",
            provider_message_id=f"m{next(_ids)}",
        )
    ).message.conversation


@pytest.fixture
def inboxes(alice, bob, max_manager):
    """Inbox A (assignment mode): Alice member, Max manager. Inbox B (open): Bob."""
    a = Inbox.objects.create(name="Support A", mode="assignment")
    b = Inbox.objects.create(name="Sales B", mode="open")
    Membership.objects.create(inbox=a, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=a, user=max_manager, role=InboxRole.MANAGER)
    Membership.objects.create(inbox=b, user=bob, role=InboxRole.MEMBER)
    return a, b


def row_ids(response):
    return [int(i) for i in re.findall(r'id="conversation-row-(\d+)"', response.content.decode())]


def test_list_views_mine_unassigned_all_per_inbox_status_and_search(
    client_for, alice, inboxes, organisation
):
    a, _b = inboxes
    first = inbound(a, "+49 170 1111111", "Die Lieferung ist beschädigt")
    second = inbound(a, "+49 170 2222222", "Rechnung fehlt")
    third = inbound(a, "+49 170 3333333", "Danke!")
    assignment.assign_to_me(second, actor=alice)
    Conversation.objects.filter(pk=third.pk).update(status="resolved")
    client = client_for(alice)
    url = reverse("inbox:index")

    assert row_ids(client.get(url)) == [third.pk, second.pk, first.pk]
    assert row_ids(client.get(url, {"view": "mine"})) == [second.pk]
    assert row_ids(client.get(url, {"view": "unassigned"})) == [third.pk, first.pk]
    assert row_ids(client.get(url, {"status": "resolved"})) == [third.pk]
    assert row_ids(client.get(url, {"inbox": a.pk, "status": "open"})) == [second.pk, first.pk]
    assert row_ids(client.get(url, {"q": "beschädigt"})) == [first.pk]
    assert row_ids(client.get(url, {"q": "2222222"})) == [second.pk]
    page = client.get(url).content.decode()
    assert "Alice Agent" in page and "Unassigned" in page and "is-unread" in page


def test_search_by_contact_name(client_for, alice, inboxes):
    a, _b = inboxes
    conversation = inbound(a)
    contact = conversation.contact
    contact.first_name, contact.last_name = "Jana", "Müller"
    contact.save()
    other = inbound(a, "+49 170 9999999")

    response = client_for(alice).get(reverse("inbox:index"), {"q": "MÜLL"})

    assert row_ids(response) == [conversation.pk]
    assert other.pk not in row_ids(response)


def test_keyset_pagination_shows_more(client_for, alice, inboxes, monkeypatch):
    monkeypatch.setattr("inbox.list.PER_PAGE", 2)
    a, _b = inboxes
    made = [inbound(a, f"+49 170 100000{i}") for i in range(3)]
    client = client_for(alice)

    first = client.get(reverse("inbox:index"))
    cursor = re.search(r'href="/inbox/\?after=([^"&]+)"', first.content.decode()).group(1)
    rest = client.get(reverse("inbox:index"), {"after": cursor}, HTTP_HX_REQUEST="true")

    assert row_ids(first) == [made[2].pk, made[1].pk]
    assert row_ids(rest) == [made[0].pk]


def test_an_agent_of_another_inbox_gets_404_everywhere(client_for, bob, inboxes):
    a, _b = inboxes
    conversation = inbound(a)
    message = conversation.messages.get()
    client = client_for(bob)
    pk = conversation.pk

    assert client.get(reverse("inbox:conversation", args=[pk])).status_code == 404
    assert client.get(reverse("inbox:contact_panel", args=[pk])).status_code == 404
    for name in [
        "conversation_reply",
        "conversation_comment",
        "conversation_assign_to_me",
        "conversation_assign",
        "conversation_unassign",
        "conversation_status",
        "contact_confirm",
        "contact_unlink",
        "contact_link",
        "contact_create",
    ]:
        response = client.post(reverse(f"inbox:{name}", args=[pk]), {"body": "x"})
        assert response.status_code == 404, name
    assert client.post(reverse("inbox:message_comment", args=[message.pk])).status_code == 404
    assert row_ids(client.get(reverse("inbox:index"))) == []
    live = client.get(reverse("inbox:live"), {"since": _ago(60), "open": pk, "view": "all"})
    assert f"conversation-row-{pk}" not in live.content.decode()
    assert 'id="conversation-header"' not in live.content.decode()


def test_open_mode_offers_no_assignment_and_every_member_replies(
    client_for, bob, inboxes, organisation
):
    _a, b = inboxes
    conversation = inbound(b)
    client = client_for(bob)

    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    response = client.post(
        reverse("inbox:conversation_reply", args=[conversation.pk]),
        {"body": "Hallo {contact_first_name|zusammen}, hier {company_name}.", "client_id": ""},
    )

    assert reverse("inbox:conversation_assign_to_me", args=[conversation.pk]) not in page
    assert 'name="assignee"' not in page
    assert response.status_code == 302
    sent = conversation.messages.get(direction="out")
    assert sent.body == "Hallo zusammen, hier Nordlicht GmbH."
    assert sent.author == bob


def test_assignment_mode_refuses_the_non_assignee_and_says_why(
    client_for, alice, max_manager, inboxes
):
    a, _b = inboxes
    conversation = inbound(a)
    client = client_for(alice)

    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assign_url = reverse("inbox:conversation_assign_to_me", args=[conversation.pk])
    assert "Assign the conversation to yourself to reply." in page
    assert assign_url in page
    assert 'name="body" rows="3"' not in page  # no reply box, only the comment box

    response = client.post(
        reverse("inbox:conversation_reply", args=[conversation.pk]),
        {"body": "Hallo", "client_id": str(uuid.uuid4())},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert "Assign the conversation to yourself to reply." in response.content.decode()
    assert not conversation.messages.filter(direction="out").exists()

    assignment.assign_to_me(conversation, actor=max_manager)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Max Manager is handling this conversation." in page
    assert assign_url not in page


def test_assign_to_me_then_reply_and_losing_a_race_names_the_winner(
    client_for, alice, inboxes, organisation, django_capture_on_commit_callbacks
):
    a, _b = inboxes
    colleague = Membership.objects.create(
        inbox=a, user=type(alice).objects.create_user("eve@x.example", display_name="Eve Early")
    ).user
    conversation = inbound(a)
    client = client_for(alice)

    assignment.assign_to_me(conversation, actor=colleague)
    lost = client.post(
        reverse("inbox:conversation_assign_to_me", args=[conversation.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert lost.status_code == 409
    assert "Eve Early has just taken this conversation." in lost.content.decode()
    assert "Assigned to Eve Early" in lost.content.decode()

    other = inbound(a, "+49 170 7654321")
    won = client.post(
        reverse("inbox:conversation_assign_to_me", args=[other.pk]), HTTP_HX_REQUEST="true"
    )
    assert won.status_code == 200 and "Assigned to you" in won.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        replied = client.post(
            reverse("inbox:conversation_reply", args=[other.pk]),
            {"body": "Kommt morgen.", "client_id": str(uuid.uuid4())},
            HTTP_HX_REQUEST="true",
        )
    assert replied.status_code == 200
    assert "Kommt morgen." in replied.content.decode()
    assert 'class="delivery delivery-queued"' in replied.content.decode()
    assert 'name="pending" value="1"' in replied.content.decode()
    live = client.get(
        reverse("inbox:live"),
        {"since": timezone.now().isoformat(), "open": other.pk, "pending": "1", "can_reply": "1"},
    ).content.decode()
    assert 'class="delivery delivery-sent"' in live
    assert 'hx-target="#composer"' not in live  # a draft in the reply box is never replaced


def test_a_manager_reassigns_and_unassigns(client_for, alice, max_manager, bob, inboxes):
    a, _b = inboxes
    conversation = inbound(a)
    client = client_for(max_manager)

    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'name="assignee"' in page and "Alice Agent" in page
    client.post(
        reverse("inbox:conversation_assign", args=[conversation.pk]), {"assignee": alice.pk}
    )
    conversation.refresh_from_db()
    assert conversation.assignee == alice

    refused = client.post(
        reverse("inbox:conversation_assign", args=[conversation.pk]),
        {"assignee": bob.pk},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422  # not a conflict: the choice does not fit the inbox
    assert "is not a member of this inbox" in refused.content.decode()

    client.post(reverse("inbox:conversation_unassign", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_a_double_submitted_reply_is_stored_once(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    client = client_for(bob)
    data = {"body": "Einmal bitte", "client_id": str(uuid.uuid4())}

    for _attempt in range(2):
        client.post(reverse("inbox:conversation_reply", args=[conversation.pk]), data)

    assert conversation.messages.filter(direction="out").count() == 1


def test_comments_are_shown_apart_and_cannot_be_edited(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    client = client_for(bob)

    client.post(
        reverse("inbox:conversation_comment", args=[conversation.pk]), {"body": "Kunde ist VIP"}
    )
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()

    assert Comment.objects.filter(conversation=conversation).count() == 1
    comment = re.search(r'<aside class="comment" id="comment-\d+".*?</aside>', page, re.S).group(0)
    assert "Internal comment" in comment and "Kunde ist VIP" in comment
    assert "Edit" not in comment and "Delete" not in comment
    assert '<article class="msg msg-in"' in page


def test_status_changes_and_the_thread_lists_the_event(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    client = client_for(bob)

    response = client.post(
        reverse("inbox:conversation_status", args=[conversation.pk]),
        {"status": "resolved"},
        HTTP_HX_REQUEST="true",
    )

    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert "Bob Other-Inbox set the status to Resolved" in response.content.decode()
    assert "Reopen" in response.content.decode()


def test_unlink_search_and_link_another_contact(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    from tests.factories import ContactFactory

    jana = ContactFactory(first_name="Jana", last_name="Ostwald")
    client = client_for(bob)

    client.post(reverse("inbox:contact_unlink", args=[conversation.pk]))
    pane = client.get(reverse("inbox:contact_panel", args=[conversation.pk]), {"contact_q": "ostw"})
    client.post(reverse("inbox:contact_link", args=[conversation.pk]), {"contact": jana.pk})

    assert "Select contact" in pane.content.decode() and "Jana Ostwald" in pane.content.decode()
    conversation.refresh_from_db()
    assert conversation.contact == jana and conversation.contact_state == "confirmed"


def test_create_a_new_contact_for_an_unlinked_conversation(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    client = client_for(bob)
    client.post(reverse("inbox:contact_unlink", args=[conversation.pk]))

    client.post(
        reverse("inbox:contact_create", args=[conversation.pk]),
        {"first_name": "Nina", "last_name": "Neu"},
    )

    conversation.refresh_from_db()
    assert conversation.contact.full_name == "Nina Neu"
    assert conversation.contact_state == "confirmed"


def test_cases_and_messages_tabs_of_the_contact_panel(client_for, bob, inboxes):
    _a, b = inboxes
    conversation = inbound(b)
    reply(conversation, body="Wir prüfen das.", actor=bob)
    client = client_for(bob)
    contact_url = reverse("contacts:detail", args=[conversation.contact_id])

    cases = client.get(contact_url, {"tab": "cases"}).content.decode()
    messages = client.get(contact_url, {"tab": "messages"}).content.decode()
    answer = conversation.messages.get(direction="out")
    client.post(reverse("inbox:message_comment", args=[answer.pk]), {"body": "Gut formuliert"})

    assert f"#{conversation.number}" in cases and "Wir prüfen das." in cases
    assert reverse("inbox:message_comment", args=[answer.pk]) in cases
    assert "Wo bleibt meine Bestellung?" in messages and "Wir prüfen das." in messages
    assert Comment.objects.get().message == answer


def _ago(seconds):
    return (timezone.now() - timedelta(seconds=seconds)).isoformat()


def test_live_returns_the_row_another_user_changed_and_nothing_otherwise(
    client_for, alice, max_manager, inboxes
):
    a, _b = inboxes
    conversation = inbound(a)
    client = client_for(alice)
    state = {"view": "all", "shown": [conversation.pk], "open": conversation.pk, "can_reply": "0"}

    quiet = client.get(
        reverse("inbox:live"), {**state, "since": timezone.now().isoformat()}
    ).content.decode()
    since = timezone.now().isoformat()
    assignment.assign_to_me(conversation, actor=max_manager)
    changed = client.get(reverse("inbox:live"), {**state, "since": since}).content.decode()

    assert "hx-partial" not in quiet and 'id="live-poller"' in quiet
    assert f'hx-target="#conversation-row-{conversation.pk}" hx-swap="outerHTML"' in changed
    assert "Max Manager" in changed and 'id="conversation-header"' in changed
    assert "Max Manager is handling this conversation." in changed


def test_live_inserts_a_new_conversation_and_keeps_polling_after_errors(client_for, alice, inboxes):
    a, _b = inboxes
    older = inbound(a, "+49 170 1111111")
    since = timezone.now().isoformat()
    newer = inbound(a, "+49 170 2222222")

    response = client_for(alice).get(
        reverse("inbox:live"), {"since": since, "view": "all", "shown": [older.pk]}
    )
    html = response.content.decode()

    assert f'hx-target="#conversation-row-{older.pk}" hx-swap="beforebegin"' in html
    assert f'id="conversation-row-{newer.pk}"' in html
    # A failed poll must leave the poller in place, so polling resumes when the server is back.
    assert 'hx-status:5xx="swap:none"' in html and 'hx-trigger="every 3s"' in html


def test_list_and_thread_run_a_fixed_number_of_queries(
    client_for, alice, inboxes, django_assert_max_num_queries
):
    a, _b = inboxes
    conversation = inbound(a)
    assignment.assign_to_me(conversation, actor=alice)
    client = client_for(alice)
    pages = [reverse("inbox:index"), reverse("inbox:conversation", args=[conversation.pk])]
    counts = []
    for url in pages:
        with django_assert_max_num_queries(40) as captured:
            client.get(url)
        counts.append(len(captured.captured_queries))

    for i in range(6):
        other = inbound(a, f"+49 170 55555{i:02d}")
        assignment.assign_to_me(other, actor=alice)
        inbound(a, body=f"Nachricht {i}")
        reply(conversation, body=f"Antwort {i}", actor=alice)
    Comment.objects.create(conversation=conversation, author=alice, body="Notiz")

    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)
    assert Message.objects.filter(conversation=conversation).count() > 10


def test_a_long_thread_shows_the_latest_messages_and_offers_the_whole_conversation(
    client_for, alice
):
    from inbox.thread import THREAD_LIMIT
    from tests.factories import inbound, inbox_with

    inbox = inbox_with("Long", "open", members=[alice])
    messages = [inbound(inbox, body=f"Nachricht {n:03d}") for n in range(THREAD_LIMIT + 5)]
    url = reverse("inbox:conversation", args=[messages[0].conversation_id])

    latest = client_for(alice).get(url).content.decode()
    whole = client_for(alice).get(url, {"whole": "1"}).content.decode()

    assert "Nachricht 000" not in latest and f"Nachricht {THREAD_LIMIT + 4:03d}" in latest
    assert "Show the whole conversation" in latest
    assert "Nachricht 000" in whole and "Show the whole conversation" not in whole


def test_live_never_reveals_conversations_of_another_inbox_named_by_the_page(
    client_for, bob, inboxes
):
    a, b = inboxes
    foreign = inbound(a, "+49 170 3333333")
    since = timezone.now().isoformat()
    own = inbound(b, "+49 170 4444444")

    html = (
        client_for(bob)
        .get(
            reverse("inbox:live"),
            {"since": since, "view": "all", "shown": [foreign.pk], "open": foreign.pk},
        )
        .content.decode()
    )

    assert f"conversation-row-{own.pk}" in html
    assert f"conversation-row-{foreign.pk}" not in html


@pytest.mark.parametrize("tab", ["cases", "messages"])
def test_the_cases_and_messages_tabs_run_a_fixed_number_of_queries(
    client_for, alice, inboxes, tab, django_assert_max_num_queries
):
    from inbox import actions as inbox_actions

    a, _b = inboxes
    first = inbound(a, "+49 170 5555555")
    contact_id = first.contact_id
    url = reverse("contacts:detail", args=[contact_id])
    client = client_for(alice)
    with django_assert_max_num_queries(40) as few:
        client.get(url, {"tab": tab})
    for n in range(6):
        conversation = inbound(a, "+49 170 5555555", body=f"Frage {n}")
        inbox_actions.set_status(conversation, status="resolved", actor=max_manager_of(a))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"tab": tab})

    assert response.status_code == 200


def max_manager_of(inbox):
    return inbox.memberships.get(role="manager").user
