"""Contact import: admins and managers only; every URL of an import through its door (404
for one that is not there or not of the user's organisation); CSRF on the POSTs."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from accounts.settings_sections import sections_for
from contacts.csv_import.models import ContactImport
from tests.contact_import_helpers import (  # noqa: F401 - the fixture
    _storage_in_memory,
    csv_bytes,
    uploaded,
)

IMPORT_URLS = [
    ("get", "contact_settings:import_detail"),
    ("post", "contact_settings:import_detail"),
    ("post", "contact_settings:import_start"),
    ("get", "contact_settings:import_cancel"),
    ("post", "contact_settings:import_cancel"),
    ("get", "contact_settings:import_errors"),
]


@pytest.fixture
def contact_import(client_for, ada):
    return uploaded(client_for(ada), csv_bytes([["E-Mail"], ["a@example.org"]]))


def test_admins_and_managers_see_the_section_agents_do_not(client_for, ada, max_manager, alice):
    url = reverse("contact_settings:imports")
    assert client_for(ada).get(url).status_code == 200
    page = client_for(max_manager).get(url).content.decode()
    assert url in page  # in the Settings navigation
    assert client_for(alice).get(url).status_code == 403
    assert client_for(alice).post(url).status_code == 403
    assert "contact_settings:imports" not in [s.url_name for s in sections_for(alice)]


def test_anonymous_users_are_sent_to_log_in(contact_import):
    response = Client().get(reverse("contact_settings:import_detail", args=[contact_import.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(("method", "name"), IMPORT_URLS)
def test_agents_get_403_for_every_url_of_an_import(client_for, alice, contact_import, method, name):
    response = getattr(client_for(alice), method)(reverse(name, args=[contact_import.pk]))
    assert response.status_code == 403
    contact_import.refresh_from_db()
    assert contact_import.status == "draft"


@pytest.mark.parametrize(("method", "name"), IMPORT_URLS)
def test_an_import_that_is_not_there_is_404(client_for, max_manager, method, name):
    response = getattr(client_for(max_manager), method)(reverse(name, args=[999999]))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "name"), IMPORT_URLS)
def test_an_import_of_another_organisation_is_404(
    client_for, max_manager, contact_import, monkeypatch, method, name
):
    # One organisation per deployment (a singleton row); the door still filters by it, so an
    # import filed under another organisation id is invisible.
    monkeypatch.setattr(Organisation, "SINGLETON_ID", 2)
    response = getattr(client_for(max_manager), method)(reverse(name, args=[contact_import.pk]))
    assert response.status_code == 404
    assert not ContactImport.objects.visible_to(max_manager).exists()


def test_the_error_report_of_an_import_without_errors_is_404(client_for, ada, contact_import):
    url = reverse("contact_settings:import_errors", args=[contact_import.pk])
    assert client_for(ada).get(url).status_code == 404


def test_posts_need_the_csrf_token(ada, contact_import):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    for name in ("contact_settings:import_start", "contact_settings:import_cancel"):
        assert client.post(reverse(name, args=[contact_import.pk])).status_code == 403
    assert client.post(reverse("contact_settings:imports")).status_code == 403
