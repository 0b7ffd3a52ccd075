"""Consent and opt-outs on the contact card (the Identities tab's "Campaigns and consent"):
append-only histories, recorded through contacts.consent_actions with a ContactEvent each,
shown with a fixed number of queries, and gone with the person when they are erased."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from campaigns.models import CampaignSettings
from contacts.consent import Consent, OptOut
from contacts.consent_actions import (
    record_consent,
    record_opt_in,
    record_opt_out,
    record_provider_opt_out,
)
from contacts.models import ContactEvent, Identity
from lib.errors import ActionRefused
from tests.factories import ContactFactory, identity, inbound, inbox_with
from tests.test_contact_erasure import EMAIL, FIRST, LAST, PHONE, assert_no_traces
from tests.test_contact_erasure import quirinus as quirinus  # a fixture, used below

CUSTOMER = "+491701234567"


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Müller")
    identity(contact, "phone", CUSTOMER)
    identity(contact, "email", "jana@example.de")
    return contact


def phone_of(contact):
    return contact.identities.get(kind="phone")


def card(client, contact):
    response = client.get(reverse("contacts:detail", args=[contact.pk]), {"tab": "identities"})
    assert response.status_code == 200
    return response.content.decode()


def consent_url(identity):
    return reverse("contacts:identity_consent", args=[identity.pk])


def opt_out_url(identity):
    return reverse("contacts:identity_opt_out", args=[identity.pk])


GRANT = {
    "state": "granted",
    "basis": "consent",
    "source": "form",
    "evidence": "Newsletter-Formular auf nordlicht.example, Double-Opt-in bestätigt",
    "reason": "Anmeldung am Messestand",
}


# --- The card -----------------------------------------------------------------------------------


def test_the_card_shows_since_when_an_address_is_opted_out(client_for, alice, jana):
    record_opt_out(
        phone_of(jana),
        channel="sms",
        source="keyword",
        keyword="STOP",
        at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
    )

    content = card(client_for(alice), jana)

    assert "Opted out of SMS campaigns since 3 Dec 2026" in content
    assert "“STOP”" in content
    assert "Not opted out of E-mail campaigns" in content


def test_an_agent_records_consent_and_the_card_shows_it(client_for, alice, jana):
    client = client_for(alice)

    response = client.post(consent_url(phone_of(jana)), GRANT, headers={"HX-Request": "true"})

    assert response.status_code == 200
    consent = Consent.objects.get()
    assert (consent.purpose, consent.state, consent.basis, consent.source) == (
        "marketing_sms",
        "granted",
        "consent",
        "form",
    )
    assert consent.actor == alice and consent.reason == "Anmeldung am Messestand"
    content = response.content.decode()
    assert "Marketing by SMS" in content and "Granted" in content
    assert "Double-Opt-in bestätigt" in content  # the evidence, in the history
    event = ContactEvent.objects.get(contact=jana, kind="consent_changed")
    assert event.actor == alice and event.data["state"] == "granted"


def test_consent_is_a_history_never_rewritten(client_for, alice, jana):
    client = client_for(alice)
    phone = phone_of(jana)
    client.post(consent_url(phone), GRANT)
    first = Consent.objects.get()
    withdrawal = {**GRANT, "state": "withdrawn", "evidence": "", "reason": "Anruf: keine SMS"}

    client.post(consent_url(phone), withdrawal)

    rows = list(Consent.objects.filter(identity=phone).order_by("at", "id"))
    assert [r.state for r in rows] == ["granted", "withdrawn"]
    unchanged = Consent.objects.get(pk=first.pk)
    assert (unchanged.state, unchanged.evidence, unchanged.reason) == (
        first.state,
        first.evidence,
        first.reason,
    )
    content = card(client, jana)
    assert "Withdrawn" in content and "History (2 entries)" in content
    assert ContactEvent.objects.filter(contact=jana, kind="consent_changed").count() == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"reason": ""}, "Say why the consent changes."),
        ({"evidence": ""}, "Say where and how the consent was given"),
        ({"state": "maybe"}, "Select a valid choice"),
        ({"at": "2999-01-01T10:00"}, "That is in the future."),
    ],
)
def test_consent_needs_a_reason_and_for_a_grant_evidence(client_for, alice, jana, change, error):
    response = client_for(alice).post(
        consent_url(phone_of(jana)), {**GRANT, **change}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Consent.objects.exists()


def test_an_agent_records_an_opt_out_and_a_resubscription_on_the_card(client_for, alice, jana):
    client = client_for(alice)
    phone = phone_of(jana)

    response = client.post(opt_out_url(phone), {"action": "out", "reason": "Anruf"})
    assert response.status_code == 302
    assert OptOut.objects.is_opted_out(phone.pk, "sms")
    assert "Opted out of SMS campaigns since" in card(client, jana)

    refused = client.post(opt_out_url(phone), {"action": "in"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "Say why" in refused.content.decode()

    client.post(opt_out_url(phone), {"action": "in", "reason": "Kundin bat am Telefon darum"})
    assert not OptOut.objects.is_opted_out(phone.pk, "sms")
    rows = list(OptOut.objects.filter(identity=phone).order_by("at", "id"))
    assert [(r.action, r.source, r.actor) for r in rows] == [
        ("out", "agent", alice),
        ("in", "agent", alice),
    ]
    kinds = ContactEvent.objects.filter(contact=jana).values_list("kind", flat=True)
    assert {"opted_out", "opted_in"} <= set(kinds)


def test_an_address_opted_out_already_is_refused(alice, jana):
    phone = phone_of(jana)
    record_opt_out(phone, channel="sms", source="agent", actor=alice)

    with pytest.raises(ActionRefused):
        record_opt_out(phone, channel="sms", source="agent", actor=alice)


def test_an_identity_no_campaign_reaches_has_no_consent_form(client_for, alice, jana):
    external = identity(jana, "external_id", "CRM-4711")

    response = client_for(alice).post(consent_url(external), GRANT)

    assert response.status_code == 404 and not Consent.objects.exists()


def test_the_identities_tab_runs_a_fixed_number_of_queries(
    client_for, ada, jana, django_assert_max_num_queries
):
    client = client_for(ada)
    phone = phone_of(jana)
    record_consent(phone, purpose="marketing_sms", actor=ada, **{**GRANT, "state": "granted"})
    card(client, jana)  # the organisation, attributes and inboxes are cached from now on
    # Seven: the page's five (user, contact twice, identities, tags) and the two of
    # "Campaigns and consent" (the latest opt-outs, the consent history).
    with django_assert_max_num_queries(7) as few:
        card(client, jana)

    for n in range(5):
        other = identity(jana, "email", f"jana{n}@example.de")
        record_opt_out(other, channel="email", source="agent", actor=ada)
        record_consent(other, purpose="marketing_email", actor=ada, **GRANT)
        record_consent(phone, purpose="marketing_sms", actor=ada, **{**GRANT, "reason": f"{n}"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = card(client, jana)

    assert content.count("Opted out of E-mail campaigns since") == 5


# --- The provider's opt-out ---------------------------------------------------------------------


def test_the_providers_opt_out_is_recorded_once_for_the_address(jana):
    for _ in range(3):
        record_provider_opt_out(channel="sms", address="+49 170 1234567", code="21610")
    record_provider_opt_out(channel="sms", address="+49 170 1234567", code="30003")

    row = OptOut.objects.get()
    assert (row.identity, row.source, row.provider_code) == (phone_of(jana), "provider", "21610")


def test_a_resubscription_by_keyword_needs_no_reason(jana):
    phone = phone_of(jana)
    record_opt_out(phone, channel="sms", source="keyword", keyword="STOP")

    assert record_opt_in(phone, channel="sms", source="keyword", keyword="START") is not None
    assert not OptOut.objects.is_opted_out(phone.pk, "sms")


# --- Erasure ------------------------------------------------------------------------------------


@pytest.fixture
def quirinus_with_consent(quirinus, alice):
    """Quirinus of the erasure test, with consent evidence and opt-out reasons that name him,
    a STOP he sent, and a confirmation that greets him by name."""
    phone = quirinus.identities.get(kind="phone")
    email = quirinus.identities.get(kind="email")
    record_consent(
        phone,
        purpose="marketing_sms",
        state="granted",
        basis="consent",
        source="form",
        evidence=f"Formular unterschrieben von {FIRST} {LAST}, {EMAIL}, {PHONE}",
        reason=f"{FIRST} {LAST} am Stand",
        actor=alice,
    )
    record_opt_out(
        email, channel="email", source="agent", actor=alice, reason=f"{FIRST} will nicht"
    )
    inbox = inbox_with("Kampagnen", members=[alice])
    settings = CampaignSettings.objects.for_inbox(inbox)
    settings.confirmation_texts = {"de": "Tschüss {{ contact.first_name }} {{ contact.last_name }}"}
    settings.save()
    inbound(inbox, address=PHONE, body="ENDE")
    assert OptOut.objects.filter(identity=phone, source="keyword").exists()
    return quirinus


@pytest.mark.parametrize("erasure", ["anonymise", "delete"])
def test_erasing_removes_consent_evidence_and_opt_out_reasons(
    client_for, ada, quirinus_with_consent, erasure
):
    response = client_for(ada).post(reverse(f"contacts:{erasure}", args=[quirinus_with_consent.pk]))

    assert response.status_code == 302
    assert_no_traces()
    assert not Identity.objects.filter(contact=quirinus_with_consent).exists()
    assert not Consent.objects.exists() and not OptOut.objects.exists()
