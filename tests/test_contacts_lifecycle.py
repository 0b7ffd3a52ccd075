"""Create, add and claim identifiers, promote, block, export, anonymise, delete, expire."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from contacts.actions import add_note, create_contact
from contacts.matching import match_contacts
from contacts.models import Contact, ContactEvent, DeletedContact, Identity, Note
from contacts.tasks import remove_expired_ephemeral_contacts
from inbox import actions as inbox_actions
from inbox.actions import IncomingFile
from tests.factories import ContactFactory, identity, inbound, inbox_with


@pytest.fixture
def jana(ada):
    contact = create_contact(
        actor=ada,
        first_name="Jana",
        last_name="Doe",
        company="ACME",
        identities=[("phone", "+49 170 1234512"), ("email", "jana.doe@example.de")],
    )
    add_note(contact, body="Jana's secret preferences.", author=ada)
    return contact


def test_an_agent_creates_a_curated_contact_with_addresses(client_for, alice, organisation):
    response = client_for(alice).post(
        reverse("contacts:create"),
        {
            "first_name": "Nils",
            "last_name": "Berg",
            "company": "",
            "email": "Nils@Example.se",
            "phone": "+46 70 123 45 67",
        },
    )

    nils = Contact.objects.get(first_name="Nils")
    assert response["Location"] == reverse("contacts:detail", args=[nils.pk])
    assert nils.kind == "curated"
    assert set(nils.identities.values_list("normalised", flat=True)) == {
        "nils@example.se",
        "+46701234567",
    }


def test_a_malformed_number_is_refused_and_nothing_is_created(client_for, alice, organisation):
    response = client_for(alice).post(
        reverse("contacts:create"), {"first_name": "Nils", "phone": "12345", "email": ""}
    )

    assert response.status_code == 422
    assert "is not a valid phone number" in response.content.decode()
    assert 'value="Nils"' in response.content.decode()
    assert not Contact.objects.exists()


def test_adding_a_taken_address_offers_to_claim_it_and_claiming_moves_it(client_for, alice, jana):
    other = ContactFactory(first_name="Johanna")
    client = client_for(alice)

    offer = client.post(
        reverse("contacts:identities", args=[other.pk]), {"kind": "phone", "value": "0170 1234512"}
    )

    assert offer.status_code == 409
    assert "already belongs to Jana Doe" in offer.content.decode()
    assert Identity.objects.get(normalised="+491701234512").contact == jana

    taken = Identity.objects.get(normalised="+491701234512")
    claimed = client.post(
        reverse("contacts:identity_claim", args=[other.pk]), {"identity": taken.pk}, follow=True
    )

    assert Identity.objects.get(normalised="+491701234512").contact == other
    assert "it was taken from Jana Doe" in claimed.content.decode()
    assert ContactEvent.objects.filter(contact=jana, kind=ContactEvent.Kind.IDENTITY_LOST).exists()
    assert ContactEvent.objects.filter(
        contact=other, kind=ContactEvent.Kind.IDENTITY_CLAIMED
    ).exists()


def test_an_invalid_identifier_shows_the_reason_in_the_tab(client_for, alice, jana):
    response = client_for(alice).post(
        reverse("contacts:identities", args=[jana.pk]), {"kind": "email", "value": "jana@"}
    )

    assert response.status_code == 422
    assert "is not a valid e-mail address" in response.content.decode()


def test_a_manager_promotes_an_ephemeral_contact_and_an_agent_may_not(
    client_for, alice, max_manager, organisation
):
    temp = ContactFactory(kind="ephemeral", expires_at=timezone.now() + timedelta(days=3))

    assert client_for(alice).post(reverse("contacts:promote", args=[temp.pk])).status_code == 403
    client_for(max_manager).post(reverse("contacts:promote", args=[temp.pk]))

    temp.refresh_from_db()
    assert (temp.kind, temp.expires_at) == ("curated", None)


def test_blocking_needs_a_reason_and_shows_it(client_for, alice, jana):
    client = client_for(alice)

    client.post(reverse("contacts:block", args=[jana.pk]), {"reason": ""})
    jana.refresh_from_db()
    assert not jana.is_blocked

    client.post(reverse("contacts:block", args=[jana.pk]), {"reason": "Abusive messages"})
    jana.refresh_from_db()
    assert jana.is_blocked and jana.blocked_reason == "Abusive messages"
    assert (
        "Abusive messages"
        in client.get(reverse("contacts:detail", args=[jana.pk])).content.decode()
    )

    client.post(reverse("contacts:unblock", args=[jana.pk]))
    jana.refresh_from_db()
    assert not jana.is_blocked


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("x" * 301, "Ensure this value has at most 300 characters (it has 301)."),
        ("Spam\x00mails", "Null characters are not allowed."),
        ("   ", "Say why the contact is blocked."),
    ],
    ids=["too-long", "nul-byte", "blank"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_bad_reason_for_blocking_shows_why_and_changes_nothing(
    client_for, alice, jana, reason, error, htmx
):
    headers = {"HX-Request": "true"} if htmx else {}

    response = client_for(alice).post(
        reverse("contacts:block", args=[jana.pk]), {"reason": reason}, headers=headers
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert escape(error) in page
    assert 'aria-invalid="true"' in page
    jana.refresh_from_db()
    assert not jana.is_blocked and jana.blocked_reason == ""
    assert not jana.events.filter(kind=ContactEvent.Kind.BLOCKED).exists()


def test_export_as_json_and_csv_downloads_profile_identities_and_notes(client_for, alice, jana):
    client = client_for(alice)

    as_json = client.get(reverse("contacts:export", args=[jana.pk, "json"]))
    as_csv = client.get(reverse("contacts:export", args=[jana.pk, "csv"]))

    assert as_json["Content-Disposition"].startswith("attachment;")
    document = json.loads(as_json.content)
    assert document["profile"]["first_name"] == "Jana"
    assert {i["normalised"] for i in document["identities"]} == {
        "+491701234512",
        "jana.doe@example.de",
    }
    assert document["notes"][0]["body"] == "Jana's secret preferences."
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    identities = {
        r["value"] for r in rows if r["section"] == "identities" and r["field"] == "normalised"
    }
    assert identities == {"+491701234512", "jana.doe@example.de"}
    assert ContactEvent.objects.filter(contact=jana, kind=ContactEvent.Kind.EXPORTED).count() == 2
    assert client.get(reverse("contacts:export", args=[jana.pk, "xml"])).status_code == 404


def test_csv_export_neutralises_spreadsheet_formulas(client_for, alice, jana):
    Contact.objects.filter(pk=jana.pk).update(company='=HYPERLINK("http://evil")')

    content = (
        client_for(alice).get(reverse("contacts:export", args=[jana.pk, "csv"])).content.decode()
    )

    assert "'=HYPERLINK" in content


def test_the_export_costs_the_same_queries_for_one_conversation_or_many(
    client_for, alice, jana, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    inbox = inbox_with("Service", members=[alice])

    def converse(n):
        message = inbound(
            inbox,
            address="+49 170 1234512",
            body=f"Nachricht {n}",
            new_thread=True,
            attachments=[IncomingFile(f"anhang-{n}.pdf", "application/pdf", b"%PDF-1.4")],
        )
        inbox_actions.reply(message.conversation, body=f"Antwort {n}", actor=alice)
        inbox_actions.add_comment(message.conversation, body=f"Kommentar {n}", actor=alice)

    client = client_for(alice)
    url = reverse("contacts:export", args=[jana.pk, "json"])
    converse(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2, 6):
        converse(n)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert len(json.loads(response.content)["conversations"]) == 5


def test_deleting_leaves_a_log_without_personal_data_and_frees_the_address(client_for, ada, jana):
    contact_id = jana.pk

    response = client_for(ada).post(reverse("contacts:delete", args=[contact_id]))

    assert response["Location"] == reverse("contacts:index")
    assert not Contact.objects.filter(pk=contact_id).exists()
    assert not Identity.objects.exists() and not Note.objects.exists()
    record = DeletedContact.objects.get()
    assert record.hint == "J*** D***, j***@***.de, +49 *** **12"
    for secret in ("Jana", "Doe", "1234512", "jana.doe", "ACME"):
        assert secret not in record.hint
    assert record.deleted_by == ada and record.channel
    assert match_contacts("sms", "+49 170 1234512").state == "none"
    again = create_contact(actor=ada, identities=[("phone", "+49 170 1234512")])
    assert again.pk != contact_id


@pytest.mark.parametrize("name", ["contacts:delete", "contacts:anonymise"])
def test_agents_and_managers_may_not_delete_or_anonymise(
    client_for, alice, max_manager, jana, name
):
    for user in (alice, max_manager):
        assert client_for(user).post(reverse(name, args=[jana.pk])).status_code == 403
    jana.refresh_from_db()
    assert jana.first_name == "Jana"


def test_anonymising_removes_personal_data_but_keeps_counts_and_history(client_for, ada, jana):
    client_for(ada).post(reverse("contacts:anonymise", args=[jana.pk]))

    jana.refresh_from_db()
    assert (jana.first_name, jana.last_name, jana.company) == ("", "", "")
    assert jana.anonymised_at
    assert not jana.identities.exists()
    assert jana.notes.count() == 1 and "secret" not in jana.notes.get().body
    assert jana.events.filter(kind=ContactEvent.Kind.CREATED).exists()
    assert all("Jana" not in json.dumps(e.data) for e in jana.events.all())
    assert match_contacts("email", "jana.doe@example.de").state == "none"


def test_expired_ephemeral_contacts_are_removed_and_others_stay(db):
    now = timezone.now()
    expired = ContactFactory(kind="ephemeral", expires_at=now - timedelta(minutes=1))
    identity(expired, "phone", "+49 170 9999999")
    fresh = ContactFactory(kind="ephemeral", expires_at=now + timedelta(days=1))
    curated = ContactFactory(kind="curated", expires_at=now - timedelta(days=1))

    assert remove_expired_ephemeral_contacts() == 1

    assert set(Contact.objects.values_list("pk", flat=True)) == {fresh.pk, curated.pk}


def test_an_unknown_contact_is_a_404(client_for, alice, organisation):
    assert client_for(alice).get(reverse("contacts:detail", args=[999999])).status_code == 404
