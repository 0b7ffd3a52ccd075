"""Settings → Deleted contacts: admins page through the deletion log, newest first."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import DeletedContact

URL = "/settings/deleted-contacts/"


def log_deletions(count: int, *, by=None) -> list[DeletedContact]:
    now = timezone.now()
    return [
        DeletedContact.objects.create(
            hint=f"Contact {number:02d} (e-mail at example.com)",
            channel="E-mail",
            deleted_at=now - timedelta(minutes=number),
            deleted_by=by,
            deleted_by_name=str(by) if by else "",
        )
        for number in range(count)
    ]


def hints(response) -> list[str]:
    return re.findall(r"Contact (\d\d) \(e-mail", response.content.decode())


def test_the_url_is_the_settings_one():
    assert reverse("contact_settings:deleted_contacts") == URL


@pytest.mark.parametrize("persona", ["alice", "max_manager"])
def test_agents_and_managers_are_denied(request, db, client_for, persona):
    log_deletions(1)

    response = client_for(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == 403
    assert b"Contact 00" not in response.content


def test_an_empty_log_says_so(client_for, ada):
    response = client_for(ada).get(URL)

    assert response.status_code == 200
    assert "No contacts deleted" in response.content.decode()


def test_the_log_lists_hint_channel_date_and_admin_newest_first(client_for, ada):
    log_deletions(3, by=ada)

    response = client_for(ada).get(URL)

    html = response.content.decode()
    assert hints(response) == ["00", "01", "02"]
    assert "E-mail" in html and "Ada Admin" in html
    assert "Show more" not in html


def test_a_contact_deleted_through_the_action_appears_without_personal_data(client_for, ada):
    from contacts.actions import create_contact, delete_contact

    contact = create_contact(
        actor=ada, first_name="Lena", last_name="Berg", identities=[("email", "lena@example.com")]
    )
    delete_contact(contact, actor=ada)

    html = client_for(ada).get(URL).content.decode()

    record = DeletedContact.objects.get()
    assert record.hint in html and "Ada Admin" in html
    assert "lena@example.com" not in html and "Berg" not in html


def test_the_log_pages_with_a_cursor_and_a_fixed_query_count(
    client_for, ada, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("contacts.settings_views.DELETED_CONTACTS_PER_PAGE", 5)
    log_deletions(12, by=ada)
    client = client_for(ada)

    with django_assert_max_num_queries(4):
        first = client.get(URL)
    cursor = re.search(r"after=([\w-]+)", first.content.decode()).group(1)
    with django_assert_max_num_queries(4):
        second = client.get(URL, {"after": cursor}, headers={"HX-Request": "true"})
    third_cursor = re.search(r"after=([\w-]+)", second.content.decode()).group(1)
    third = client.get(URL, {"after": third_cursor}, headers={"HX-Request": "true"})

    assert hints(first) == ["00", "01", "02", "03", "04"]
    assert hints(second) == ["05", "06", "07", "08", "09"]
    assert hints(third) == ["10", "11"]
    assert b"<html" not in second.content
    assert b"Show more" not in third.content


def test_the_query_count_does_not_grow_with_the_log(
    client_for, ada, bob, django_assert_max_num_queries
):
    log_deletions(60, by=bob)
    client = client_for(ada)

    with django_assert_max_num_queries(4):
        response = client.get(URL)

    assert len(hints(response)) == 50


def test_a_forged_cursor_is_a_404(client_for, ada):
    response = client_for(ada).get(URL, {"after": "bm90LWpzb24"})

    assert response.status_code == 404
