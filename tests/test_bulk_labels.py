"""Issue 11, "What agents expect": labels on conversations, bulk actions in the list with
the rights of one at a time and an undo for resolve, and saved views — over HTTP."""

import re

import pytest
from django.urls import reverse

from inbox.actions import assignment, bulk
from inbox.actions import labels as label_actions
from inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationLabel,
    Inbox,
    InboxRole,
    Label,
    Membership,
    SavedView,
)
from tests.factories import inbound

Kind = ConversationEvent.Kind


@pytest.fixture
def inboxes(alice, bob, max_manager):
    """Inbox A (assignment mode): Alice member, Max manager. Inbox B (open): Bob."""
    a = Inbox.objects.create(name="Support A", mode="assignment")
    b = Inbox.objects.create(name="Sales B", mode="open")
    Membership.objects.create(inbox=a, user=alice, role=InboxRole.MEMBER)
    Membership.objects.create(inbox=a, user=max_manager, role=InboxRole.MANAGER)
    Membership.objects.create(inbox=b, user=bob, role=InboxRole.MEMBER)
    return a, b


def conversation(inbox, n):
    return inbound(inbox, f"+49 170 70000{n:02d}", body=f"Frage {n}").conversation


@pytest.fixture
def vip(ada):
    return label_actions.create_label(name="VIP", colour="amber", actor=ada)


def events(conversation, kind):
    return list(ConversationEvent.objects.filter(conversation=conversation, kind=kind))


# --- Settings → Labels --------------------------------------------------------------------


def test_an_admin_adds_renames_and_deletes_a_label(client_for, ada, inboxes, alice):
    client = client_for(ada)
    url = reverse("inbox_settings:labels")

    response = client.post(url, {"name": "  Rückruf  ", "colour": "teal"})
    assert response.status_code == 302
    label = Label.objects.get()
    assert (label.name, label.colour) == ("Rückruf", "teal")
    page = client.get(url).content.decode()
    assert 'class="label-chip label-teal">Rückruf<' in page

    a, _b = inboxes
    c = conversation(a, 1)
    label_actions.add_label(c, label=label, actor=alice)
    edit = reverse("inbox_settings:label_edit", args=[label.pk])
    assert client.post(edit, {"name": "Callback", "colour": "red"}).status_code == 302
    label.refresh_from_db()
    assert (label.name, label.colour) == ("Callback", "red")

    delete = reverse("inbox_settings:label_delete", args=[label.pk])
    assert client.post(delete).status_code == 302
    assert not Label.objects.exists() and not ConversationLabel.objects.exists()
    removed = events(c, Kind.LABEL_REMOVED)
    assert len(removed) == 1 and removed[0].data["name"] == "Callback"


def test_label_names_are_unique_ignoring_case_and_bad_input_is_explained(client_for, ada, vip):
    client = client_for(ada)
    url = reverse("inbox_settings:labels")

    taken = client.post(url, {"name": "vip", "colour": "blue"})
    empty = client.post(url, {"name": "   ", "colour": "blue"})
    colour = client.post(url, {"name": "Bug", "colour": "#ff0000"})
    long = client.post(url, {"name": "x" * 41, "colour": "blue"})

    assert taken.status_code == 422 and "exists already" in taken.content.decode()
    assert empty.status_code == 422 and colour.status_code == 422 and long.status_code == 422
    assert Label.objects.count() == 1


def test_labels_settings_are_for_admins_only(client_for, max_manager, alice, vip):
    for user in (max_manager, alice):
        client = client_for(user)
        assert client.get(reverse("inbox_settings:labels")).status_code == 403
        assert client.post(reverse("inbox_settings:labels"), {"name": "X"}).status_code == 403
        edit = reverse("inbox_settings:label_edit", args=[vip.pk])
        assert client.post(edit, {"name": "Y", "colour": "red"}).status_code == 403
        delete = reverse("inbox_settings:label_delete", args=[vip.pk])
        assert client.post(delete).status_code == 403
    assert Label.objects.get().name == "VIP"


def test_the_settings_navigation_shows_labels_to_admins(client_for, ada, max_manager):
    url = reverse("inbox_settings:labels")
    assert url in client_for(ada).get(reverse("settings:organisation")).content.decode()
    assert (
        url not in client_for(max_manager).get(reverse("inbox_settings:inboxes")).content.decode()
    )


# --- A label on one conversation -----------------------------------------------------------


def test_a_member_adds_and_removes_a_label_in_the_header(client_for, alice, inboxes, vip):
    a, _b = inboxes
    c = conversation(a, 1)
    client = client_for(alice)
    page = client.get(reverse("inbox:conversation", args=[c.pk])).content.decode()
    assert reverse("inbox:conversation_label_add", args=[c.pk]) in page

    add = client.post(
        reverse("inbox:conversation_label_add", args=[c.pk]),
        {"label": vip.pk},
        HTTP_HX_REQUEST="true",
    )
    html = add.content.decode()
    assert add.status_code == 200
    assert 'id="conversation-labels"' in html and "label-chip label-amber" in html
    # The list row is redrawn with the label too.
    assert f'hx-target="#conversation-row-{c.pk}"' in html
    again = client.post(reverse("inbox:conversation_label_add", args=[c.pk]), {"label": vip.pk})
    assert again.status_code == 302
    assert [e.data["name"] for e in events(c, Kind.LABEL_ADDED)] == ["VIP"]
    assert events(c, Kind.LABEL_ADDED)[0].actor == alice

    client.post(reverse("inbox:conversation_label_remove", args=[c.pk]), {"label": vip.pk})
    assert not ConversationLabel.objects.exists()
    assert len(events(c, Kind.LABEL_REMOVED)) == 1
    thread = client.get(reverse("inbox:conversation", args=[c.pk])).content.decode()
    assert "Alice Agent added the label “VIP”" in thread
    assert "Alice Agent removed the label “VIP”" in thread


def test_labels_of_another_inbox_are_404_and_an_unknown_label_is_refused(
    client_for, bob, alice, inboxes, vip
):
    a, _b = inboxes
    c = conversation(a, 1)

    foreign = client_for(bob).post(
        reverse("inbox:conversation_label_add", args=[c.pk]), {"label": vip.pk}
    )
    unknown = client_for(alice).post(
        reverse("inbox:conversation_label_add", args=[c.pk]),
        {"label": "nope"},
        HTTP_HX_REQUEST="true",
    )

    assert foreign.status_code == 404
    assert unknown.status_code == 422 and "That label no longer exists." in unknown.content.decode()
    assert not ConversationLabel.objects.exists()


def test_a_viewer_of_all_inboxes_who_works_in_none_may_not_label(client_for, alice, inboxes, vip):
    from django.contrib.auth.models import Permission

    a, _b = inboxes
    c = conversation(a, 1)
    watcher = type(alice).objects.create(email="w@nordlicht.example", display_name="Watcher")
    watcher.user_permissions.add(Permission.objects.get(codename="view_all_inboxes"))

    response = client_for(watcher).post(
        reverse("inbox:conversation_label_add", args=[c.pk]), {"label": vip.pk}
    )

    assert response.status_code == 403
    assert not ConversationLabel.objects.exists()


def test_the_list_shows_labels_and_filters_by_label_and_channel(client_for, alice, inboxes, vip):
    a, _b = inboxes
    tagged, plain = conversation(a, 1), conversation(a, 2)
    mail = inbound(a, "kunde@example.com", channel="email").conversation
    label_actions.add_label(tagged, label=vip, actor=alice)
    client = client_for(alice)

    everything = client.get(reverse("inbox:index")).content.decode()
    by_label = client.get(reverse("inbox:index"), {"label": vip.pk}).content.decode()
    by_channel = client.get(reverse("inbox:index"), {"channel": "email"}).content.decode()
    nonsense = client.get(reverse("inbox:index"), {"label": "x", "channel": "fax"})

    assert 'class="label-chip label-amber">VIP<' in everything
    assert f"conversation-row-{tagged.pk}" in by_label
    assert f"conversation-row-{plain.pk}" not in by_label
    assert f"conversation-row-{mail.pk}" in by_channel
    assert f"conversation-row-{tagged.pk}" not in by_channel
    assert nonsense.status_code == 200


# --- Bulk actions -------------------------------------------------------------------------


def test_bulk_resolve_keeps_the_rules_of_one_at_a_time(client_for, alice, inboxes):
    a, b = inboxes
    mine, unassigned, foreign = conversation(a, 1), conversation(a, 2), conversation(b, 3)
    assignment.assign_to_me(mine, actor=alice)

    response = client_for(alice).post(
        reverse("inbox:bulk"),
        {"action": "resolved", "conversation": [mine.pk, unassigned.pk, foreign.pk, "x"]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()

    assert response.status_code == 200
    statuses = dict(Conversation.objects.values_list("pk", "status"))
    assert statuses == {mine.pk: "resolved", unassigned.pk: "open", foreign.pk: "open"}
    assert len(events(mine, Kind.STATUS)) == 1
    assert events(unassigned, Kind.STATUS) == [] and events(foreign, Kind.STATUS) == []
    # Skipped with the reason; the other inbox's conversation is not even named.
    assert f"#{unassigned.number}: Assign the conversation to yourself to reply." in html
    assert f"#{foreign.number}" not in html
    assert 'id="conversation-list"' in html and "data-undo-toast" in html


def test_undo_reopens_exactly_the_conversations_the_resolve_changed(
    client_for, max_manager, inboxes
):
    a, _b = inboxes
    first, second, done = conversation(a, 1), conversation(a, 2), conversation(a, 3)
    bulk.bulk_set_status([second.pk], status="pending", actor=max_manager)
    bulk.bulk_set_status([done.pk], status="resolved", actor=max_manager)
    outcome = bulk.bulk_set_status(
        [first.pk, second.pk, done.pk], status="resolved", actor=max_manager
    )
    assert sorted(outcome.changed) == sorted([first.pk, second.pk])
    token = bulk.undo_token(outcome, actor=max_manager)

    response = client_for(max_manager).post(
        reverse("inbox:bulk_undo"), {"token": token}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    statuses = dict(Conversation.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "open", second.pk: "pending", done.pk: "resolved"}
    assert [e.data["new"] for e in events(first, Kind.STATUS)] == ["resolved", "open"]


def test_an_undo_token_is_only_for_its_user(client_for, max_manager, ada, inboxes):
    a, _b = inboxes
    c = conversation(a, 1)
    outcome = bulk.bulk_set_status([c.pk], status="resolved", actor=max_manager)
    token = bulk.undo_token(outcome, actor=max_manager)

    stolen = client_for(ada).post(reverse("inbox:bulk_undo"), {"token": token})
    forged = client_for(max_manager).post(
        reverse("inbox:bulk_undo"), {"token": "forged"}, HTTP_HX_REQUEST="true"
    )

    assert stolen.status_code == 302  # the list again, with "can no longer be undone"
    assert forged.status_code == 422 and "no longer be undone" in forged.content.decode()
    assert Conversation.objects.get().status == "resolved"


def test_bulk_assign_by_a_manager_and_to_oneself_by_an_agent(
    client_for, max_manager, alice, bob, inboxes
):
    a, b = inboxes
    one, two, taken = conversation(a, 1), conversation(a, 2), conversation(a, 3)
    assignment.assign(taken, assignee=max_manager, actor=max_manager)
    foreign = conversation(b, 4)

    client_for(max_manager).post(
        reverse("inbox:bulk"),
        {"action": "assign", "bulk_assignee": alice.pk, "conversation": [one.pk, foreign.pk]},
    )
    agent = client_for(alice).post(
        reverse("inbox:bulk"),
        {"action": "assign", "bulk_assignee": alice.pk, "conversation": [two.pk, taken.pk]},
        HTTP_HX_REQUEST="true",
    )
    to_bob = client_for(max_manager).post(
        reverse("inbox:bulk"),
        {"action": "assign", "bulk_assignee": bob.pk, "conversation": [two.pk]},
        HTTP_HX_REQUEST="true",
    )

    assignees = dict(Conversation.objects.values_list("pk", "assignee_id"))
    assert assignees == {
        one.pk: alice.pk,
        two.pk: alice.pk,
        taken.pk: max_manager.pk,
        foreign.pk: None,
    }
    assert "Max Manager is handling this conversation." in agent.content.decode()
    assert "Bob Other-Inbox is not a member of this inbox." in to_bob.content.decode()
    assigned = events(one, Kind.ASSIGNED)
    assert len(assigned) == 1 and assigned[0].data["assignee"] == alice.pk


def test_an_agent_cannot_bulk_assign_to_someone_else(client_for, alice, max_manager, inboxes):
    a, _b = inboxes
    c = conversation(a, 1)

    response = client_for(alice).post(
        reverse("inbox:bulk"),
        {"action": "assign", "bulk_assignee": max_manager.pk, "conversation": [c.pk]},
        HTTP_HX_REQUEST="true",
    )

    assert "Only a manager of the inbox can assign it to someone else." in response.content.decode()
    assert Conversation.objects.get().assignee_id is None


def test_bulk_unassign_managers_any_members_their_own(client_for, alice, max_manager, inboxes):
    a, _b = inboxes
    hers, his = conversation(a, 1), conversation(a, 2)
    assignment.assign_to_me(hers, actor=alice)
    assignment.assign(his, assignee=max_manager, actor=max_manager)

    client_for(alice).post(
        reverse("inbox:bulk"), {"action": "unassign", "conversation": [hers.pk, his.pk]}
    )

    assignees = dict(Conversation.objects.values_list("pk", "assignee_id"))
    assert assignees == {hers.pk: None, his.pk: max_manager.pk}
    assert len(events(hers, Kind.UNASSIGNED)) == 1 and events(his, Kind.UNASSIGNED) == []


def test_bulk_labels_one_event_per_conversation(client_for, alice, bob, inboxes, vip):
    a, b = inboxes
    one, two, foreign = conversation(a, 1), conversation(a, 2), conversation(b, 3)
    label_actions.add_label(two, label=vip, actor=alice)
    client = client_for(alice)

    client.post(
        reverse("inbox:bulk"),
        {"action": "label_add", "bulk_label": vip.pk, "conversation": [one.pk, two.pk, foreign.pk]},
    )
    assert set(ConversationLabel.objects.values_list("conversation_id", flat=True)) == {
        one.pk,
        two.pk,
    }
    assert len(events(one, Kind.LABEL_ADDED)) == 1 and len(events(two, Kind.LABEL_ADDED)) == 1

    client.post(
        reverse("inbox:bulk"),
        {"action": "label_remove", "bulk_label": vip.pk, "conversation": [one.pk, two.pk]},
    )
    assert not ConversationLabel.objects.exists()
    assert len(events(one, Kind.LABEL_REMOVED)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "resolved"}, "Select at least one conversation."),
        ({"action": "explode", "conversation": ["1"]}, "Choose what to do"),
        ({"action": "assign", "bulk_assignee": "nobody", "conversation": ["1"]}, "Choose whom"),
        (
            {"action": "resolved", "conversation": [str(n) for n in range(1, 250)]},
            "at most 200",
        ),
    ],
)
def test_bad_bulk_input_gets_a_clear_message(client_for, alice, inboxes, data, message):
    response = client_for(alice).post(reverse("inbox:bulk"), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_label_deleted_meanwhile_is_a_clear_message_not_a_404(client_for, alice, inboxes):
    a, _b = inboxes
    c = conversation(a, 1)
    response = client_for(alice).post(
        reverse("inbox:bulk"),
        {"action": "label_add", "bulk_label": "9999", "conversation": [c.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "That label no longer exists." in response.content.decode()
    assert 'id="conversation-list"' in response.content.decode()


def test_bulk_without_javascript_redirects_to_the_same_list(client_for, max_manager, inboxes):
    a, _b = inboxes
    c = conversation(a, 1)

    response = client_for(max_manager).post(
        reverse("inbox:bulk"),
        {"action": "pending", "conversation": [c.pk], "status": "open", "view": "unassigned"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:index") + "?view=unassigned&status=open"
    assert Conversation.objects.get().status == "pending"


# --- Saved views --------------------------------------------------------------------------


def test_save_a_view_open_rename_and_delete_it(client_for, alice, inboxes, vip):
    client = client_for(alice)

    saved = client.post(
        reverse("inbox:saved_view_add"),
        {"name": "VIP unassigned", "view": "unassigned", "label": vip.pk, "contact": "5"},
    )
    view = SavedView.objects.get()
    assert view.user == alice
    assert view.filters == {"view": "unassigned", "label": str(vip.pk)}
    assert saved["Location"] == reverse("inbox:index") + f"?view=unassigned&label={vip.pk}"

    page = client.get(saved["Location"]).content.decode()
    assert 'aria-current="page">VIP unassigned<' in page

    duplicate = client.post(reverse("inbox:saved_view_add"), {"name": "vip UNASSIGNED"})
    assert duplicate.status_code == 302 and SavedView.objects.count() == 1

    client.post(reverse("inbox:saved_view_rename", args=[view.pk]), {"name": "Wichtig"})
    assert SavedView.objects.get().name == "Wichtig"
    assert "Wichtig" in client.get(reverse("inbox:saved_views")).content.decode()
    client.post(reverse("inbox:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_a_saved_view_is_its_owners_alone(client_for, alice, bob, inboxes):
    view = SavedView.objects.create(user=alice, name="Mine", filters={"view": "mine"})

    rename = client_for(bob).post(reverse("inbox:saved_view_rename", args=[view.pk]), {"name": "X"})
    delete = client_for(bob).post(reverse("inbox:saved_view_delete", args=[view.pk]))
    listed = client_for(bob).get(reverse("inbox:saved_views")).content.decode()

    assert rename.status_code == 404 and delete.status_code == 404
    assert "Mine" not in listed
    assert SavedView.objects.get().name == "Mine"


def test_a_saved_view_never_shows_conversations_the_user_may_not_see(
    client_for, alice, bob, inboxes
):
    a, b = inboxes
    theirs = conversation(a, 1)
    own = conversation(b, 2)
    # A view naming inbox A (saved, say, before Bob left it).
    SavedView.objects.create(user=bob, name="A", filters={"inbox": str(a.pk)})
    url = reverse("inbox:index") + f"?inbox={a.pk}"

    html = client_for(bob).get(url).content.decode()

    assert f"conversation-row-{theirs.pk}" not in html
    assert f"conversation-row-{own.pk}" not in html


def test_a_saved_view_name_must_be_given(client_for, alice, inboxes):
    response = client_for(alice).post(reverse("inbox:saved_view_add"), {"name": "  "})
    assert response.status_code == 302 and not SavedView.objects.exists()


# --- Query counts -------------------------------------------------------------------------


def test_the_list_page_runs_at_most_eight_queries_whatever_it_shows(
    client_for, max_manager, alice, inboxes, vip, django_assert_max_num_queries
):
    a, _b = inboxes
    other = label_actions.create_label(
        name="Bug", colour="red", actor=max_manager_admin(max_manager)
    )
    first = conversation(a, 0)
    label_actions.add_label(first, label=vip, actor=alice)
    client = client_for(max_manager)
    client.get(reverse("inbox:index"))  # caches warm (scope, labels, organisation)
    # Something new, as below: the unread count and the saved views are read again.
    conversation(a, 99)
    SavedView.objects.create(user=max_manager, name="Mine", filters={"view": "mine"})
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("inbox:index"))

    for n in range(1, 12):
        c = conversation(a, n)
        label_actions.add_label(c, label=vip if n % 2 else other, actor=alice)
        SavedView.objects.create(user=max_manager, name=f"View {n}", filters={"status": "open"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("inbox:index"))
    assert response.content.decode().count("label-chip label-") >= 12


def max_manager_admin(user):
    """An admin to create labels with (labels are the admins')."""
    from tests.factories import UserFactory

    return UserFactory(role="admin")


def test_a_manager_filters_by_assignee_and_saves_it(client_for, max_manager, alice, inboxes):
    a, _b = inboxes
    hers, other = conversation(a, 1), conversation(a, 2)
    assignment.assign(hers, assignee=alice, actor=max_manager)
    client = client_for(max_manager)

    page = client.get(reverse("inbox:index"), {"assignee": alice.pk}).content.decode()
    client.post(reverse("inbox:saved_view_add"), {"name": "Alice", "assignee": alice.pk})

    assert f"conversation-row-{hers.pk}" in page and f"conversation-row-{other.pk}" not in page
    assert 'id="filter-assignee"' in page
    assert SavedView.objects.get().filters == {"assignee": str(alice.pk)}
    # Agents only take conversations: they get no assignee filter.
    assert (
        'id="filter-assignee"' not in client_for(alice).get(reverse("inbox:index")).content.decode()
    )


def test_without_javascript_the_undo_waits_above_the_list(client_for, max_manager, inboxes):
    a, _b = inboxes
    c = conversation(a, 1)
    client = client_for(max_manager)

    done = client.post(reverse("inbox:bulk"), {"action": "resolved", "conversation": [c.pk]})
    page = client.get(done["Location"]).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    again = client.get(done["Location"]).content.decode()

    assert 'class="undo-notice"' in page and "1 conversation resolved." in page
    assert 'class="undo-notice"' not in again  # shown once
    assert token is not None
    undone = client.post(reverse("inbox:bulk_undo"), {"token": token.group(1)})
    assert undone.status_code == 302
    assert Conversation.objects.get().status == "open"


def test_nobody_is_bulk_assigned_in_an_open_inbox(client_for, max_manager, bob, inboxes):
    _a, b = inboxes
    Membership.objects.create(inbox=b, user=max_manager, role=InboxRole.MANAGER)
    c = conversation(b, 1)

    response = client_for(max_manager).post(
        reverse("inbox:bulk"),
        {"action": "assign", "bulk_assignee": bob.pk, "conversation": [c.pk]},
        HTTP_HX_REQUEST="true",
    )

    assert "In an open inbox everyone answers; nobody is assigned." in response.content.decode()
    assert Conversation.objects.get().assignee_id is None
