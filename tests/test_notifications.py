"""The unread count (navigation and tab title) and what the live poll reports for browser
notifications: a customer waiting in the agent's own conversations or in Unassigned, never
what the agent did themselves, never another inbox's."""

import re
from html import unescape

import pytest
from django.urls import reverse

from contacts.actions import create_contact
from inbox import actions
from inbox.actions import assignment
from tests.factories import inbound, inbox_with
from tests.test_live_poll import poller_query


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Support A", "open", members=[alice], managers=[max_manager])


def badge(html: str) -> str | None:
    """The count the navigation shows, or None when the badge is hidden."""
    found = re.search(r'<span id="unread-count"[^>]*?( hidden)?>([^<]*)<', html)
    assert found, "no unread count on the page"
    return None if found.group(1) else found.group(2)


def title(html: str) -> str:
    found = re.search(r"<title>([^<]*)</title>", html)
    assert found
    return unescape(found.group(1))


def notifications(html: str) -> list[dict[str, str]]:
    return [
        {key: unescape(value) for key, value in re.findall(r'data-(\w+)="([^"]*)"', tag)}
        for tag in re.findall(r"<p data-notification=[^>]*>", html)
    ]


def poll(client, query, **state):
    return client.get(reverse("inbox:live"), {**query, **state}, headers={"HX-Request": "true"})


def test_the_count_is_in_the_navigation_and_the_title(client_for, alice, inbox_a):
    inbound(inbox_a, "+49 170 1111111")
    inbound(inbox_a, "+49 170 2222222")

    page = client_for(alice).get(reverse("inbox:index")).content.decode()

    assert badge(page) == "2"
    assert title(page).startswith("(2) Inbox")


def test_opening_a_conversation_takes_it_out_of_the_count(client_for, alice, inbox_a):
    conversation = inbound(inbox_a).conversation
    client = client_for(alice)

    opened = client.get(
        reverse("inbox:conversation", args=[conversation.pk]), headers={"HX-Request": "true"}
    ).content.decode()

    # The open conversation's answer redraws the badge at once.
    assert 'hx-target="#unread-count"' in opened and badge(opened) is None
    assert badge(client.get(reverse("inbox:index")).content.decode()) is None
    # A new customer message makes it count again.
    inbound(inbox_a, body="Noch eine Frage")
    assert badge(client.get(reverse("inbox:index")).content.decode()) == "1"


def test_only_the_users_own_and_unassigned_conversations_count(
    client_for, alice, bob, max_manager, inbox_a
):
    mine = inbound(inbox_a, "+49 170 1111111").conversation
    theirs = inbound(inbox_a, "+49 170 2222222").conversation
    inbound(inbox_a, "+49 170 3333333")  # unassigned
    answered = inbound(inbox_a, "+49 170 4444444").conversation
    inbox_b = inbox_with("Sales B", members=[bob])
    inbound(inbox_b, "+49 170 5555555")
    assignment.assign(mine, assignee=alice, actor=max_manager)
    assignment.assign(theirs, assignee=max_manager, actor=max_manager)
    actions.reply(answered, body="Erledigt", actor=alice)  # her own reply: nothing waits

    assert badge(client_for(alice).get(reverse("inbox:index")).content.decode()) == "2"
    assert badge(client_for(bob).get(reverse("inbox:index")).content.decode()) == "1"


def test_a_customer_message_comes_with_the_next_poll_as_a_notification(
    client_for, alice, inbox_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        existing = inbound(inbox_a, "+49 170 1111111").conversation
    client = client_for(alice)
    client.get(reverse("inbox:conversation", args=[existing.pk]))  # read: not counted
    page = client.get(reverse("inbox:index")).content.decode()
    query = poller_query(page)
    shown = {"unread": "0"}

    with django_capture_on_commit_callbacks(execute=True):
        inbound(inbox_a, "+49 170 1111111", body="Ist das Paket unterwegs?")
        inbound(inbox_a, "+49 170 9999999", body="Hallo <b>Team</b>")
    answer = poll(client, query, **shown).content.decode()

    assert 'hx-target="#unread-count"' in answer and badge(answer) == "2"
    found = {n["conversation"]: n for n in notifications(answer)}
    assert found[str(existing.pk)]["title"] == "New message from +49 170 1111111"
    assert found[str(existing.pk)]["body"] == "Ist das Paket unterwegs?"
    new = next(n for n in found.values() if n["conversation"] != str(existing.pk))
    assert new["title"] == "New conversation from +49 170 9999999"
    assert new["body"] == "Hallo <b>Team</b>"  # escaped in the page, plain text for the browser
    assert "Hallo <b>" not in answer
    assert new["url"] == reverse("inbox:conversation", args=[int(new["conversation"])])
    # The next poll, with the new stamps and count, is idle again.
    again = poll(client, poller_query(answer), unread="2")
    assert again.status_code == 204


def test_the_users_own_actions_never_notify(
    client_for, alice, max_manager, inbox_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = inbound(inbox_a).conversation
    client = client_for(alice)
    client.get(reverse("inbox:conversation", args=[conversation.pk]))
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(conversation, body="Wir sind dran", actor=alice)
        actions.add_comment(conversation, body="Rückruf morgen", actor=alice)
    answer = poll(client, query, unread="0").content.decode()

    assert answer and not notifications(answer)
    assert 'hx-target="#unread-count"' not in answer  # unchanged: not redrawn


def test_a_conversation_assigned_to_someone_else_does_not_notify(
    client_for, alice, max_manager, inbox_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = inbound(inbox_a).conversation
        assignment.assign(conversation, assignee=max_manager, actor=max_manager)
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        inbound(inbox_a, body="Noch da?")
    answer = poll(client, query, unread="0").content.decode()

    assert not notifications(answer)
    manager = client_for(max_manager)
    managers = poll(manager, poller_query(manager.get(reverse("inbox:index")).content.decode()))
    assert managers.status_code == 204  # his page was drawn after the message: nothing new


def test_contact_names_are_escaped_in_notifications(
    client_for, ada, alice, inbox_a, django_capture_on_commit_callbacks
):
    create_contact(
        actor=ada,
        first_name='<img src=x onerror="alert(1)">',
        identities=[("phone", "+491701234567")],
    )
    client = client_for(alice)
    query = poller_query(client.get(reverse("inbox:index")).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        inbound(inbox_a, "+49 170 1234567")
    answer = poll(client, query, unread="0").content.decode()

    [notification] = notifications(answer)
    assert notification["title"].startswith('New conversation from <img src=x onerror="alert(1)">')
    assert "<img src=x" not in answer


def test_the_full_check_costs_the_same_for_one_arrival_or_five(
    client_for, alice, inbox_a, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = client_for(alice)

    def queries_for(arrivals: int) -> int:
        query = poller_query(client.get(reverse("inbox:index")).content.decode())
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(arrivals):
                inbound(inbox_a, f"+49 170 55500{arrivals}{n}")
        with django_assert_max_num_queries(40) as captured:
            answer = poll(client, query, unread="0")
        assert len(notifications(answer.content.decode())) == arrivals
        return len(captured.captured_queries)

    assert queries_for(1) == queries_for(5)


def test_the_count_for_other_pages(client_for, alice, bob, inbox_a, django_assert_max_num_queries):
    inbound(inbox_a)
    inbox_with("Sales B", members=[bob])

    client = client_for(alice)
    client.get(reverse("inbox:unread"))  # the session and the user's inboxes, cached

    with django_assert_max_num_queries(3):
        theirs = client.get(reverse("inbox:unread"), headers={"HX-Request": "true"})
    other_inbox = client_for(bob).get(reverse("inbox:unread"))

    assert badge(theirs.content.decode()) == "1"
    assert badge(other_inbox.content.decode()) is None
    # Pages outside the workspace load it once, after they are drawn.
    contacts = client_for(alice).get(reverse("contacts:index")).content.decode()
    assert f'hx-get="{reverse("inbox:unread")}" hx-trigger="load"' in contacts


def test_the_count_is_for_signed_in_users_only(client, db):
    response = client.get(reverse("inbox:unread"))

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_notifications_are_opt_in_on_preferences(client_for, alice, inbox_a):
    client = client_for(alice)
    before = client.get(reverse("inbox:index")).content.decode()
    assert 'data-desktop="0" data-sound="0"' in before

    client.post(
        reverse("accounts:preferences"),
        {
            "display_name": alice.display_name,
            "language": "en",
            "time_zone": alice.time_zone,
            "notify_desktop": "on",
            "notify_sound": "on",
        },
    )

    alice.refresh_from_db()
    assert alice.notify_desktop and alice.notify_sound
    after = client.get(reverse("inbox:index")).content.decode()
    assert 'data-desktop="1" data-sound="1"' in after
    preferences = client.get(reverse("accounts:preferences")).content.decode()
    assert (
        "data-notification-opt-in" in preferences and 'id="notification-permission"' in preferences
    )
