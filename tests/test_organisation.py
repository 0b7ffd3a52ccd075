"""Settings → Organisation: the account variables."""

from django.urls import reverse

from accounts.models import AccountEvent, Organisation

URL = reverse("settings:organisation")
VALUES = {
    "name": "Nordlicht AB",
    "address": "Storgatan 1, Stockholm",
    "email": "kundservice@nordlicht.example",
    "phone": "+46 8 123 456",
    "authors_may_edit_notes": "on",
    # The admin's own variables (tests/test_message_templates.py): none here.
    "variables-TOTAL_FORMS": "0",
    "variables-INITIAL_FORMS": "0",
}


def test_an_admin_edits_the_account_variables(client_for, ada):
    response = client_for(ada).post(URL, VALUES)

    assert response.status_code == 302
    organisation = Organisation.load()
    assert organisation.account_variables() == {
        "company_name": "Nordlicht AB",
        "company_address": "Storgatan 1, Stockholm",
        "company_email": "kundservice@nordlicht.example",
        "company_phone": "+46 8 123 456",
    }
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.ORGANISATION_UPDATED)
    assert event.actor == ada
    assert event.data["name"] == ["Nordlicht GmbH", "Nordlicht AB"]


def test_saving_over_htmx_answers_with_the_form_and_a_toast(client_for, ada):
    response = client_for(ada).post(URL, VALUES, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.content.startswith(b"\n<form") or response.content.lstrip().startswith(b"<form")
    assert b'<hx-partial hx-target="#toasts"' in response.content
    assert b"saved" in response.content


def test_an_invalid_email_is_shown_next_to_the_field_and_nothing_is_saved(client_for, ada):
    response = client_for(ada).post(
        URL, {**VALUES, "email": "not-an-address"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    assert b"Enter a valid email address." in response.content
    assert b"Nordlicht AB" in response.content
    assert Organisation.load().name == "Nordlicht GmbH"


def test_the_admin_decides_whether_authors_may_edit_their_notes(client_for, ada):
    client_for(ada).post(URL, {**VALUES, "authors_may_edit_notes": ""})

    assert Organisation.load().authors_may_edit_notes is False


def test_saving_unchanged_values_records_no_event(client_for, ada, organisation):
    values = {k: getattr(organisation, k) for k in ("name", "address", "email", "phone")}
    values.update({"authors_may_edit_notes": "on", "variables-TOTAL_FORMS": "0"})
    values["variables-INITIAL_FORMS"] = "0"

    client_for(ada).post(URL, values)

    assert not AccountEvent.objects.exists()
