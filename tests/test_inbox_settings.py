"""Settings → Inboxes: managers of an inbox and admins set its mode, members, roles and
capacity; managers of another inbox get 404, plain members 403 everywhere."""

import pytest
from django.urls import reverse

from inbox.actions import settings as settings_actions
from inbox.models import (
    AgentCapacity,
    Conversation,
    ConversationEvent,
    Inbox,
    InboxMode,
    InboxRole,
    Membership,
)
from lib.errors import ActionRefused
from tests.factories import UserFactory


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = Inbox.objects.create(name="Kundenservice", mode=InboxMode.OPEN)
    Membership.objects.create(inbox=inbox, user=max_manager, role=InboxRole.MANAGER)
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    return inbox


@pytest.fixture
def inbox_b(bob):
    inbox = Inbox.objects.create(name="Vertrieb", mode=InboxMode.ASSIGNMENT)
    Membership.objects.create(inbox=inbox, user=bob, role=InboxRole.MANAGER)
    return inbox


def urls_of(inbox, user):
    return [
        ("get", reverse("inbox_settings:inboxes")),
        ("get", reverse("inbox_settings:inbox_add")),
        ("post", reverse("inbox_settings:inbox_add")),
        ("get", reverse("inbox_settings:inbox_detail", args=[inbox.id])),
        ("post", reverse("inbox_settings:inbox_detail", args=[inbox.id])),
        ("post", reverse("inbox_settings:member_add", args=[inbox.id])),
        ("post", reverse("inbox_settings:member_role", args=[inbox.id, user.id])),
        ("post", reverse("inbox_settings:member_capacity", args=[inbox.id, user.id])),
        ("post", reverse("inbox_settings:member_remove", args=[inbox.id, user.id])),
    ]


def test_plain_members_get_403_for_their_inbox_and_404_for_others(
    client_for, alice, max_manager, inbox_a, inbox_b
):
    client = client_for(alice)
    data = {"name": "Hacked", "mode": "assignment", "role": "member", "limit": "1"}
    for inbox, status in ((inbox_a, 403), (inbox_b, 404)):
        for method, url in urls_of(inbox, max_manager):
            expected = 403 if "/inboxes/" + str(inbox.id) not in url else status
            assert getattr(client, method)(url, data).status_code == expected, url
    inbox_a.refresh_from_db()
    assert (inbox_a.name, inbox_a.mode) == ("Kundenservice", InboxMode.OPEN)
    assert Membership.objects.filter(inbox=inbox_a).count() == 2


def test_a_manager_of_inbox_a_gets_404_for_inbox_b(client_for, max_manager, bob, inbox_a, inbox_b):
    client = client_for(max_manager)
    for method, url in urls_of(inbox_b, bob)[3:]:
        response = getattr(client, method)(
            url, {"name": "Mine now", "mode": "open", "role": "member"}
        )
        assert response.status_code == 404, url
    assert client.get(reverse("inbox_settings:inbox_add")).status_code == 403
    inbox_b.refresh_from_db()
    assert inbox_b.name == "Vertrieb"
    assert Membership.objects.get(inbox=inbox_b, user=bob).role == InboxRole.MANAGER


def test_the_list_shows_managed_inboxes_and_new_inbox_only_to_admins(
    client_for, ada, max_manager, inbox_a, inbox_b
):
    page = client_for(max_manager).get(reverse("inbox_settings:inboxes")).content.decode()
    assert "Kundenservice" in page and "Vertrieb" not in page
    assert reverse("inbox_settings:inbox_add") not in page

    page = client_for(ada).get(reverse("inbox_settings:inboxes")).content.decode()
    assert "Kundenservice" in page and "Vertrieb" in page
    assert reverse("inbox_settings:inbox_add") in page


def test_an_admin_creates_an_inbox(client_for, ada):
    response = client_for(ada).post(
        reverse("inbox_settings:inbox_add"), {"name": " Support ", "mode": "assignment"}
    )

    inbox = Inbox.objects.get(name="Support")
    assert inbox.mode == InboxMode.ASSIGNMENT
    assert response.url == reverse("inbox_settings:inbox_detail", args=[inbox.id])


def test_a_manager_switches_the_mode_and_renames(client_for, max_manager, inbox_a):
    url = reverse("inbox_settings:inbox_detail", args=[inbox_a.id])
    client = client_for(max_manager)
    page = client.get(url).content.decode()
    assert "Every member may answer any conversation" in page

    response = client.post(url, {"name": "Service", "mode": "assignment"}, follow=True)

    inbox_a.refresh_from_db()
    assert (inbox_a.name, inbox_a.mode) == ("Service", InboxMode.ASSIGNMENT)
    assert "now in assignment mode" in response.content.decode()


def test_an_invalid_inbox_form_is_shown_again_with_422(client_for, max_manager, inbox_a):
    url = reverse("inbox_settings:inbox_detail", args=[inbox_a.id])

    response = client_for(max_manager).post(url, {"name": "  ", "mode": "chaos"})

    assert response.status_code == 422
    assert "Enter a name." in response.content.decode() or "required" in response.content.decode()
    inbox_a.refresh_from_db()
    assert inbox_a.mode == InboxMode.OPEN


def test_add_member_offers_only_licensed_non_members(client_for, max_manager, alice, inbox_a):
    newcomer = UserFactory(display_name="Nora Newcomer")
    UserFactory(display_name="Ulf Unlicensed", is_active=False)
    page = (
        client_for(max_manager)
        .get(reverse("inbox_settings:inbox_detail", args=[inbox_a.id]))
        .content.decode()
    )
    options = page.split('name="user"')[1].split("</select>")[0]
    assert "Nora Newcomer" in options
    assert "Ulf Unlicensed" not in options and "Alice Agent" not in options

    response = client_for(max_manager).post(
        reverse("inbox_settings:member_add", args=[inbox_a.id]),
        {"user": newcomer.id, "role": "manager"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert Membership.objects.get(inbox=inbox_a, user=newcomer).role == InboxRole.MANAGER
    assert 'id="inbox-members"' in response.content.decode()
    assert "Nora Newcomer is now a manager of Kundenservice." in response.content.decode()


def test_adding_someone_twice_or_unlicensed_is_refused(client_for, max_manager, alice, inbox_a):
    url = reverse("inbox_settings:member_add", args=[inbox_a.id])

    response = client_for(max_manager).post(url, {"user": alice.id, "role": "member"}, follow=True)

    assert "Choose a licensed user who is not a member yet." in response.content.decode()
    with pytest.raises(ActionRefused):
        settings_actions.add_member(
            inbox_a, user=UserFactory(is_active=False), role="member", actor=max_manager
        )


def test_roles_change_and_the_last_manager_stays_unless_an_admin_acts(
    client_for, ada, max_manager, alice, inbox_a
):
    role_url = reverse("inbox_settings:member_role", args=[inbox_a.id, alice.id])
    client = client_for(max_manager)
    client.post(role_url, {"role": "manager"})
    assert Membership.objects.get(inbox=inbox_a, user=alice).role == InboxRole.MANAGER

    client.post(
        reverse("inbox_settings:member_role", args=[inbox_a.id, max_manager.id]), {"role": "member"}
    )
    assert Membership.objects.get(inbox=inbox_a, user=max_manager).role == InboxRole.MEMBER

    # Alice is now the last manager: she cannot step down or leave, an admin can.
    alice_client = client_for(alice)
    response = alice_client.post(role_url, {"role": "member"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "last manager" in response.content.decode()
    remove_url = reverse("inbox_settings:member_remove", args=[inbox_a.id, alice.id])
    alice_client.post(remove_url)
    assert Membership.objects.filter(inbox=inbox_a, user=alice).exists()

    client_for(ada).post(remove_url)
    assert not Membership.objects.filter(inbox=inbox_a, user=alice).exists()


def test_capacity_is_set_through_assignment_and_validated(client_for, max_manager, alice, inbox_a):
    url = reverse("inbox_settings:member_capacity", args=[inbox_a.id, alice.id])
    client = client_for(max_manager)

    client.post(url, {"limit": "3"})
    assert AgentCapacity.objects.get(user=alice).limit == 3

    response = client.post(url, {"limit": "500"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "between 1 and 100" in response.content.decode()
    assert AgentCapacity.objects.get(user=alice).limit == 3


def test_removing_a_member_hands_their_open_conversations_back(
    client_for, max_manager, alice, inbox_a
):
    conversation = Conversation.objects.create(
        inbox=inbox_a, channel="sms", address="+4917012345678", number=1, assignee=alice
    )

    client_for(max_manager).post(
        reverse("inbox_settings:member_remove", args=[inbox_a.id, alice.id])
    )

    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=ConversationEvent.Kind.UNASSIGNED
    ).exists()


def test_a_manager_who_leaves_is_sent_back_to_the_list(
    client_for, ada, max_manager, alice, inbox_a
):
    Membership.objects.filter(inbox=inbox_a, user=alice).update(role=InboxRole.MANAGER)

    response = client_for(max_manager).post(
        reverse("inbox_settings:member_remove", args=[inbox_a.id, max_manager.id])
    )

    assert response.status_code == 302
    assert response.url == reverse("inbox:index")
    assert not Membership.objects.filter(inbox=inbox_a, user=max_manager).exists()


def test_the_inbox_page_has_a_fixed_number_of_queries(
    client_for, max_manager, inbox_a, django_assert_max_num_queries
):
    url = reverse("inbox_settings:inbox_detail", args=[inbox_a.id])
    client = client_for(max_manager)
    client.get(url)
    for _ in range(5):
        Membership.objects.create(inbox=inbox_a, user=UserFactory())

    with django_assert_max_num_queries(16):
        response = client.get(url)

    assert response.status_code == 200
