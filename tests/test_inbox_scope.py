"""The user's inboxes and roles, read once per request, and the fixed query counts of the
workspace pages that depend on them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from inbox.actions import add_comment, assignment, mark_read, reply
from inbox.models import Conversation, ConversationStatus
from tests.factories import inbound, inbox_with


@pytest.fixture
def inboxes(alice, bob, max_manager):
    a = inbox_with("Support A", "assignment", members=[alice], managers=[max_manager])
    b = inbox_with("Sales B", members=[bob])
    return a, b


VIEW_ALL = Permission.objects.filter(codename="view_all_inboxes")


@pytest.mark.parametrize("through", ["user", "group"])
def test_a_granted_view_all_inboxes_shows_every_inbox_read_only(
    client_for, alice, inboxes, through
):
    _a, b = inboxes
    foreign = inbound(b, "+49 170 4444444", "Frage an Sales").conversation
    if through == "user":
        alice.user_permissions.add(VIEW_ALL.get())
    else:
        group = Group.objects.create(name="Supervisors")
        group.permissions.add(VIEW_ALL.get())
        alice.groups.add(group)
    client = client_for(alice)

    assert f"conversation-row-{foreign.pk}" in client.get(reverse("inbox:index")).content.decode()
    assert client.get(reverse("inbox:conversation", args=[foreign.pk])).status_code == 200
    # Seeing is not working there: no reply.
    posted = client.post(reverse("inbox:conversation_reply", args=[foreign.pk]), {"body": "Hi"})
    assert posted.status_code == 403


def test_without_the_grant_another_inbox_stays_hidden(client_for, alice, inboxes):
    _a, b = inboxes
    foreign = inbound(b, "+49 170 4444444").conversation
    client = client_for(alice)

    assert (
        f"conversation-row-{foreign.pk}" not in client.get(reverse("inbox:index")).content.decode()
    )
    assert client.get(reverse("inbox:conversation", args=[foreign.pk])).status_code == 404


LIST_QUERIES = 8
# Opening a conversation with something new in it: the user, the conversation, marking it
# read, its messages, comments and events, the contact's identities, tags, notes and events,
# the unread count in the navigation (new: the inbox moved) and, on the full page, the list.
# The user's rights and saved views come from the cache.
THREAD_QUERIES = {False: 12, True: 11}
# Opening it again, nothing new: no read marker, and the unread count from the cache (the
# fragment does not redraw it at all).
REOPEN_QUERIES = {False: 10, True: 9}


def _alices(inbox, alice, htmx):
    """A conversation of `inbox` assigned to Alice, its URL and the headers of the request."""
    conversation = inbound(inbox).conversation
    assignment.assign_to_me(conversation, actor=alice)
    url = reverse("inbox:conversation", args=[conversation.pk])
    return conversation, url, {"HX-Request": "true"} if htmx else {}


def _busy(a, alice, max_manager, conversation):
    for i in range(8):
        other = inbound(a, f"+49 170 55555{i:02d}", f"Nachricht {i}").conversation
        assignment.assign_to_me(other, actor=alice)
        inbound(a, body=f"Noch eine Frage {i}")
        reply(conversation, body=f"Antwort {i}", actor=alice)
        add_comment(conversation, body=f"Notiz {i}", actor=max_manager)


@pytest.mark.parametrize("view", ["all", "mine", "unassigned"])
def test_the_list_runs_a_fixed_number_of_queries(
    client_for, alice, max_manager, inboxes, view, django_assert_max_num_queries
):
    a, _b = inboxes
    conversation = inbound(a).conversation
    assignment.assign_to_me(conversation, actor=alice)
    _busy(a, alice, max_manager, conversation)
    client = client_for(alice)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("inbox:index"), {"view": view})
    assert response.status_code == 200


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_the_thread_runs_a_fixed_number_of_queries_however_long(
    client_for, alice, max_manager, inboxes, htmx, django_assert_max_num_queries
):
    a, _b = inboxes
    conversation, url, headers = _alices(a, alice, htmx)
    client = client_for(alice)
    client.get(url, headers=headers)  # the organisation and attributes are cached from now on
    inbound(a, body="Noch da?")  # something new to mark read
    with django_assert_max_num_queries(THREAD_QUERIES[htmx]) as short:
        client.get(url, headers=headers)

    _busy(a, alice, max_manager, conversation)
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(url, headers=headers)

    assert response.status_code == 200
    assert "Antwort 7" in response.content.decode() and "Notiz 7" in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_opening_a_read_conversation_again_costs_no_marker_and_no_count(
    client_for, alice, max_manager, inboxes, htmx, django_assert_max_num_queries
):
    a, _b = inboxes
    conversation, url, headers = _alices(a, alice, htmx)
    _busy(a, alice, max_manager, conversation)
    client = client_for(alice)
    client.get(url, headers=headers)
    client.get(reverse("inbox:index"))  # the count is kept from here on

    with django_assert_max_num_queries(REOPEN_QUERIES[htmx]) as again:
        response = client.get(url, headers=headers)

    assert response.status_code == 200
    statements = [q["sql"] for q in again.captured_queries]
    assert not any(sql.startswith('INSERT INTO "inbox_readmarker"') for sql in statements)
    assert not any("COUNT(*)" in sql for sql in statements)


def test_the_kept_unread_count_is_one_lower_after_opening_an_unread_conversation(
    client_for, alice, inboxes, django_assert_max_num_queries
):
    a, _b = inboxes
    first = inbound(a, "+49 170 1111111").conversation
    inbound(a, "+49 170 2222222")
    inbound(a, "+49 170 3333333")
    client = client_for(alice)
    assert 'data-unread="3"' in client.get(reverse("inbox:index")).content.decode()

    with django_assert_max_num_queries(20) as opened:
        page = client.get(
            reverse("inbox:conversation", args=[first.pk]), headers={"HX-Request": "true"}
        ).content.decode()

    assert 'data-unread="2"' in page  # the badge follows at once, without counting again
    assert not any("COUNT(*)" in q["sql"] for q in opened.captured_queries)
    assert 'data-unread="2"' in client.get(reverse("inbox:index")).content.decode()
    inbound(a, "+49 170 1111111", body="Noch was")  # the opened one is unread again
    assert 'data-unread="3"' in client.get(reverse("inbox:index")).content.decode()


def test_one_conversations_unread_rule_says_what_the_querysets_says(alice, max_manager, inboxes):
    """Conversation.is_unread_by (the kept count's "one lower") agrees with unread_by."""
    a, _b = inboxes
    waiting = inbound(a, "+49 170 1000001").conversation
    mine = inbound(a, "+49 170 1000002").conversation
    assignment.assign_to_me(mine, actor=alice)
    theirs = inbound(a, "+49 170 1000003").conversation
    assignment.assign(theirs, assignee=max_manager, actor=max_manager)
    answered = inbound(a, "+49 170 1000004").conversation
    assignment.assign_to_me(answered, actor=max_manager)
    reply(answered, body="Erledigt", actor=max_manager)  # answered: nobody waits
    pending = inbound(a, "+49 170 1000005").conversation
    Conversation.objects.filter(pk=pending.pk).update(status=ConversationStatus.PENDING)
    flagged = inbound(a, "+49 170 1000006").conversation
    Conversation.objects.filter(pk=flagged.pk).update(is_flagged=True)
    read = inbound(a, "+49 170 1000007").conversation
    mark_read(Conversation.objects.with_read_at(alice).get(pk=read.pk), user=alice)

    for user in (alice, max_manager):
        counted = counted_for(user)
        for conversation in Conversation.objects.with_read_at(user).filter(inbox=a):
            assert conversation.is_unread_by(user) == (conversation.pk in counted), (
                user,
                conversation.pk,
            )
    assert counted_for(alice) == {waiting.pk, mine.pk}
    assert counted_for(max_manager) == {waiting.pk, theirs.pk, read.pk}


def counted_for(user):
    return set(Conversation.objects.visible_to(user).unread_by(user).values_list("pk", flat=True))


def test_leaving_an_inbox_counts_at_once_although_the_scope_is_cached(
    client_for, alice, max_manager, inboxes
):
    from inbox.actions import settings as settings_actions

    a, _b = inboxes
    conversation = inbound(a).conversation
    client = client_for(alice)
    url = reverse("inbox:conversation", args=[conversation.pk])
    assert client.get(url).status_code == 200  # her inboxes are cached now

    settings_actions.remove_member(a, user=alice, actor=max_manager)

    assert client.get(url).status_code == 404
    assert (
        f"conversation-row-{conversation.pk}"
        not in client.get(reverse("inbox:index")).content.decode()
    )


def test_an_admin_opens_the_settings_of_an_inbox_just_created(client_for, ada, inboxes):
    client = client_for(ada)
    assert client.get(reverse("inbox:index")).status_code == 200  # her inboxes are cached now

    client.post(reverse("inbox_settings:inbox_add"), {"name": "Claims", "mode": "open"})

    from inbox.models import Inbox

    created = Inbox.objects.get(name="Claims")
    page = client.get(reverse("inbox_settings:inbox_detail", args=[created.pk]))
    assert page.status_code == 200
    assert "Claims" in client.get(reverse("inbox:index")).content.decode()
