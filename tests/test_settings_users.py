"""Settings → Users: admins list, invite, edit, take and give back licences."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AccountEvent, Role, User
from tests.factories import PASSWORD, UserFactory

ADMIN_ONLY_URLS = [
    ("get", "settings:organisation", False),
    ("post", "settings:organisation", False),
    ("get", "settings:users", False),
    ("get", "settings:user_invite", False),
    ("post", "settings:user_invite", False),
    ("get", "settings:user_detail", True),
    ("post", "settings:user_detail", True),
    ("post", "settings:user_remove_licence", True),
    ("post", "settings:user_restore_licence", True),
    ("post", "settings:user_resend_invitation", True),
]


def test_settings_opens_the_first_section_each_user_may_use(client_for, ada, max_manager, alice):
    index = reverse("settings:index")

    assert client_for(ada).get(index)["Location"] == reverse("settings:organisation")
    # Managers import contacts (Settings → Contacts → Import); agents have no section at all.
    assert client_for(max_manager).get(index)["Location"] == reverse("contact_settings:imports")
    assert client_for(alice).get(index).status_code == 403


@pytest.mark.parametrize("persona", ["alice", "max_manager"])
@pytest.mark.parametrize(("method", "name", "takes_user"), ADMIN_ONLY_URLS)
def test_settings_are_denied_to_everyone_but_admins(
    request, client_for, ada, persona, method, name, takes_user
):
    user = request.getfixturevalue(persona)
    url = reverse(name, args=[ada.id]) if takes_user else reverse(name)

    response = getattr(client_for(user), method)(url, {"display_name": "Hacked", "role": "agent"})

    assert response.status_code == 403
    ada.refresh_from_db()
    assert ada.display_name == "Ada Admin" and ada.is_active and ada.role == Role.ADMIN


def test_agents_do_not_see_the_settings_link(client_for, alice, ada):
    assert b'href="/settings/"' not in client_for(alice).get(reverse("inbox:index")).content
    assert b'href="/settings/"' in client_for(ada).get(reverse("inbox:index")).content


def test_the_user_list_pages_with_a_cursor_and_a_fixed_query_count(
    client_for, ada, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr("accounts.settings_views.USERS_PER_PAGE", 5)
    UserFactory.create_batch(11)
    client = client_for(ada)

    with django_assert_max_num_queries(6):
        first = client.get(reverse("settings:users"))
    cursor = re.search(rb"after=([\w-]+)", first.content).group(1).decode()
    with django_assert_max_num_queries(6):
        second = client.get(
            reverse("settings:users"), {"after": cursor}, headers={"HX-Request": "true"}
        )

    assert first.content.count(b'class="row-link"') == 5
    assert second.content.count(b'class="row-link"') == 5
    assert b"<html" not in second.content
    names_first = set(re.findall(rb'row-link" href="/settings/users/(\d+)/', first.content))
    names_second = set(re.findall(rb'row-link" href="/settings/users/(\d+)/', second.content))
    assert names_first.isdisjoint(names_second)


def test_a_forged_cursor_is_a_404(client_for, ada):
    response = client_for(ada).get(reverse("settings:users"), {"after": "bm90LWpzb24"})

    assert response.status_code == 404


def test_search_finds_users_by_name_or_email(client_for, ada, alice, bob):
    client = client_for(ada)

    by_name = client.get(reverse("settings:users"), {"q": "alice"})
    by_mail = client.get(reverse("settings:users"), {"q": "bob@"})

    assert b"Alice Agent" in by_name.content and b"Bob Other-Inbox" not in by_name.content
    assert b"Bob Other-Inbox" in by_mail.content and b"Alice Agent" not in by_mail.content


def test_an_admin_invites_a_user_who_accepts_and_lands_in_the_workspace(
    client, client_for, ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(ada).post(
            reverse("settings:user_invite"),
            {
                "email": "Nina@Nordlicht.example",
                "display_name": "Nina Neu",
                "role": "agent",
                "language": "en",
            },
        )

    nina = User.objects.get(email="nina@nordlicht.example")
    assert response["Location"] == reverse("settings:user_detail", args=[nina.id])
    assert not nina.has_usable_password() and nina.is_active
    assert AccountEvent.objects.filter(
        user=nina, kind=AccountEvent.Kind.USER_INVITED, actor=ada
    ).exists()
    assert len(mail.outbox) == 1
    invitation = mail.outbox[0]
    assert invitation.to == ["nina@nordlicht.example"]
    link = re.search(r"https?://[^/\s]+(/accounts/invitation/\S+)", invitation.body).group(1)

    form_page = client.get(link, follow=True)
    accepted = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Nina's own passphrase", "new_password2": "Nina's own passphrase"},
        follow=True,
    )

    assert accepted.redirect_chain[-1][0] == reverse("inbox:index")
    nina.refresh_from_db()
    assert nina.check_password("Nina's own passphrase")
    assert client.get(link).status_code in (200, 302)
    assert b"This invitation has expired" in client.get(link, follow=True).content


def test_inviting_an_existing_address_is_refused_with_a_message(client_for, ada, alice):
    response = client_for(ada).post(
        reverse("settings:user_invite"),
        {
            "email": alice.email.upper(),
            "display_name": "Alice Again",
            "role": "agent",
            "language": "en",
        },
    )

    assert response.status_code == 422
    assert b"already exists" in response.content
    assert b"Alice Again" in response.content
    assert User.objects.filter(email=alice.email).count() == 1


def test_the_invitation_is_sent_once_even_if_the_task_runs_twice(
    ada, django_capture_on_commit_callbacks
):
    from accounts import actions
    from accounts.tasks import send_invitation

    with django_capture_on_commit_callbacks(execute=True):
        nina = actions.invite_user(
            email="nina@nordlicht.example",
            display_name="Nina",
            role="agent",
            language="en",
            actor=ada,
        )
    send_invitation(nina.id)

    assert len(mail.outbox) == 1


def test_removing_a_licence_stops_the_log_in_and_restoring_it_brings_it_back(
    client, client_for, ada, alice
):
    admin = client_for(ada)
    alice_client = client_for(alice)

    admin.post(reverse("settings:user_remove_licence", args=[alice.id]))

    alice.refresh_from_db()
    assert not alice.is_active
    assert alice_client.get(reverse("inbox:index")).status_code == 302
    login = client.post(reverse("accounts:login"), {"username": alice.email, "password": PASSWORD})
    assert login.status_code == 200

    admin.post(reverse("settings:user_restore_licence", args=[alice.id]))

    alice.refresh_from_db()
    assert alice.is_active
    kinds = list(AccountEvent.objects.filter(user=alice).values_list("kind", flat=True))
    assert kinds == [AccountEvent.Kind.LICENCE_RESTORED, AccountEvent.Kind.LICENCE_REMOVED]


def test_an_admin_cannot_remove_their_own_licence(client_for, ada):
    response = client_for(ada).post(
        reverse("settings:user_remove_licence", args=[ada.id]), follow=True
    )

    ada.refresh_from_db()
    assert ada.is_active
    assert b"You cannot remove your own licence." in response.content


def test_the_last_admin_cannot_be_demoted(client_for, ada):
    response = client_for(ada).post(
        reverse("settings:user_detail", args=[ada.id]),
        {
            "display_name": "Ada Admin",
            "role": "agent",
            "language": "en",
            "time_zone": "Europe/Berlin",
        },
    )

    ada.refresh_from_db()
    assert ada.role == Role.ADMIN
    assert b"is the only admin" in response.content


def test_an_admin_makes_an_agent_an_admin(client_for, ada, alice):
    response = client_for(ada).post(
        reverse("settings:user_detail", args=[alice.id]),
        {
            "display_name": "Alice A.",
            "role": "admin",
            "language": "sv",
            "time_zone": "Europe/Stockholm",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.role, alice.display_name, alice.language) == ("admin", "Alice A.", "sv")
    event = AccountEvent.objects.get(user=alice)
    assert event.kind == AccountEvent.Kind.ROLE_CHANGED
    assert event.data["role"] == ["agent", "admin"]


def test_an_unknown_user_id_is_a_404_for_admins(client_for, ada):
    assert client_for(ada).get(reverse("settings:user_detail", args=[999999])).status_code == 404


def test_resending_an_invitation_sends_a_new_mail(
    client_for, ada, django_capture_on_commit_callbacks
):
    invited = UserFactory(email="late@nordlicht.example", password=None)
    invited.set_unusable_password()
    invited.save()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(ada).post(reverse("settings:user_resend_invitation", args=[invited.id]))

    assert [m.to for m in mail.outbox] == [["late@nordlicht.example"]]


def test_resending_to_someone_who_accepted_is_refused(client_for, ada, alice):
    response = client_for(ada).post(
        reverse("settings:user_resend_invitation", args=[alice.id]), follow=True
    )

    assert b"has already accepted" in response.content
    assert mail.outbox == []
