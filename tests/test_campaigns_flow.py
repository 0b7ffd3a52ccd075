"""A campaign from the manager's first click to its report: create, edit the audience and
message, preview, launch, freeze, paced sending, delivery callbacks, completion."""

import pytest
from django.urls import reverse

from campaigns import delivery
from campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from contacts.consent import Consent, ConsentSource, ConsentState, Purpose
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.factories import ContactFactory, identity, inbox_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = inbox_with("A", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940123456")
    return inbox


def contact(first_name, phone, *, consent=True, **extra):
    person = ContactFactory(first_name=first_name, **extra)
    found = identity(person, "phone", phone)
    if consent:
        Consent.objects.create(
            identity=found,
            purpose=Purpose.MARKETING_SMS,
            state=ConsentState.GRANTED,
            source=ConsentSource.FORM,
            evidence="Newsletter form",
        )
    return person


def editor_post(**extra):
    data = {
        "name": "Winter sale",
        "type": "marketing",
        "body": 'Hallo {{ contact.first_name | default: "Kundin" }}, 20 % Rabatt!',
        "match": "all",
        "rule_count": "1",
        "rule-0-field": "company",
        "rule-0-op": "equals",
        "rule-0-value": "Nordlicht",
        "when": "now",
        "window_days": ["0", "1", "2", "3", "4", "5", "6"],
        "window_start": "00:00",
        "window_end": "23:59",
        "rate": "10",
    }
    data.update(extra)
    return data


def launched(inbox, manager, name, *, body, rate):
    """A service SMS campaign to the Nordlicht contacts, any time of day, launched (the
    caller runs the commit callbacks, so the freeze runs)."""
    from campaigns.actions import campaigns as campaign_actions

    campaign = campaign_actions.create_campaign(
        inbox=inbox, actor=manager, name=name, channel="sms", type="service"
    )
    campaign_actions.update_campaign(
        campaign,
        actor=manager,
        values={
            "body": body,
            "audience": {"rules": [{"field": "company", "op": "equals", "value": "Nordlicht"}]},
            "window_days": [],
            "rate": rate,
        },
    )
    campaign_actions.launch_campaign(campaign, actor=manager)
    return campaign


def test_a_manager_builds_and_launches_a_campaign(
    client_for, max_manager, inbox_a, sms, django_capture_on_commit_callbacks
):
    eva = contact("Eva", "+49 170 1111111", company="Nordlicht")
    contact("", "+49 170 2222222", company="Nordlicht")
    contact("Nils", "+49 170 3333333", company="Nordlicht", consent=False)
    contact("Other", "+49 170 4444444", company="Elsewhere")
    client = client_for(max_manager)
    response = client.post(
        reverse("campaigns:new"),
        {"inbox": inbox_a.pk, "name": "Winter sale", "channel": "sms", "type": "marketing"},
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    edit = reverse("campaigns:edit", args=[campaign.pk])
    assert client.get(edit).status_code == 200
    sender = campaign.sender_id
    response = client.post(edit, editor_post(sender=sender))
    assert response.status_code == 302, response.content.decode()[:3000]
    preview_url = reverse("campaigns:preview", args=[campaign.pk])
    preview = client.post(preview_url, editor_post(sender=sender))
    text = preview.content.decode()
    assert "3 contacts match" in text
    assert "Hallo Eva, 20 % Rabatt!" in text or "Hallo Kundin" in text
    assert client.get(reverse("campaigns:launch", args=[campaign.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:launch", args=[campaign.pk]))
    assert response.status_code == 302, response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert campaign.frozen_at is not None
    rows = {r.contact.first_name: r for r in CampaignRecipient.objects.select_related("contact")}
    assert rows["Nils"].status == RecipientStatus.SKIPPED
    assert rows["Nils"].skip_reason == "no_consent"
    assert rows["Eva"].status == RecipientStatus.QUEUED
    # A marketing SMS that names no opt-out keyword gets the objection notice (UWG §7 (3)).
    notice = "\nAbmelden: Antwort STOP"
    assert rows["Eva"].rendered_body == "Hallo Eva, 20 % Rabatt!" + notice
    assert rows[""].rendered_body == "Hallo Kundin, 20 % Rabatt!" + notice
    delivery.tick()
    assert {s.body for s in sms} == {
        "Hallo Eva, 20 % Rabatt!" + notice,
        "Hallo Kundin, 20 % Rabatt!" + notice,
    }
    delivery.tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    report = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert report.status_code == 200
    assert "No marketing consent" in report.content.decode()
    assert eva.pk
    export = client.get(reverse("campaigns:export", args=[campaign.pk]))
    assert b"Eva" in b"".join(export.streaming_content)


def test_an_answer_shows_the_campaign_message_it_answers(
    client_for, alice, max_manager, inbox_a, sms, django_capture_on_commit_callbacks
):
    from tests.factories import inbound

    contact("Eva", "+49 170 1111111", company="Nordlicht")
    with django_capture_on_commit_callbacks(execute=True):
        launched(inbox_a, max_manager, "Termin", body="Ihr Termin ist morgen um 10 Uhr.", rate=10)
    delivery.tick()
    reply = inbound(inbox_a, address="+49 170 1111111", body="Passt, danke!")
    recipient = CampaignRecipient.objects.get()
    assert recipient.replied_at is not None
    assert recipient.conversation_id == reply.conversation_id
    page = client_for(alice).get(reverse("inbox:conversation", args=[reply.conversation_id]))
    text = page.content.decode()
    assert "Ihr Termin ist morgen um 10 Uhr." in text
    assert "An answer to the campaign “Termin”" in text
    # The list shows the answer first; the thread shows the campaign message above it.
    assert text.index("Ihr Termin ist morgen") < text.rindex("Passt, danke!")


def test_contacts_are_picked_for_the_include_list(client_for, max_manager, bob, inbox_a):
    from campaigns.actions import campaigns as campaign_actions

    greta = contact("Greta", "+49 170 7777777", company="Lindqvist AB")
    campaign = campaign_actions.create_campaign(
        inbox=inbox_a, actor=max_manager, name="Pick", channel="sms", type="service"
    )
    client = client_for(max_manager)
    found = client.get(reverse("campaigns:contact_search", args=[campaign.pk]), {"q": "Gre"})
    assert "Greta" in found.content.decode()
    edit = reverse("campaigns:edit", args=[campaign.pk])
    data = editor_post(sender=campaign.sender_id, include_contact=str(greta.pk), rule_count="0")
    page = client.post(edit, data)
    assert page.status_code == 200
    assert 'name="include_contacts"' in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.audience["include"]["contacts"] == [greta.pk]
    data = editor_post(
        sender=campaign.sender_id, include_contacts=[str(greta.pk)], remove_contact=str(greta.pk)
    )
    client.post(edit, data)
    campaign.refresh_from_db()
    assert campaign.audience["include"]["contacts"] == []
    assert (
        client_for(bob)
        .get(reverse("campaigns:contact_search", args=[campaign.pk]), {"q": "Gre"})
        .status_code
        == 404
    )


def test_add_rule_gives_an_empty_row_and_keeps_the_others(client_for, max_manager, inbox_a):
    from campaigns.actions import campaigns as campaign_actions

    campaign = campaign_actions.create_campaign(
        inbox=inbox_a, actor=max_manager, name="Rules", channel="sms", type="service"
    )
    edit = reverse("campaigns:edit", args=[campaign.pk])
    page = client_for(max_manager).post(edit, editor_post(sender=campaign.sender_id, add_rule="1"))
    text = page.content.decode()
    assert 'name="rule_count" value="2"' in text
    assert 'value="Nordlicht"' in text


@pytest.mark.parametrize("recipients", [3, 60])
def test_the_report_and_the_list_take_a_fixed_number_of_queries(
    client_for, max_manager, inbox_a, recipients, django_assert_max_num_queries
):
    from campaigns.actions import campaigns as campaign_actions

    campaign = campaign_actions.create_campaign(
        inbox=inbox_a, actor=max_manager, name="Count", channel="sms", type="service"
    )
    for n in range(recipients):
        person = ContactFactory(first_name=f"P{n}")
        CampaignRecipient.objects.create(
            campaign=campaign,
            contact=person,
            identity=identity(person, "phone", f"+49170{n:07d}"),
            address=f"+49170{n:07d}",
            status=RecipientStatus.SENT,
        )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    client = client_for(max_manager)
    client.get(reverse("campaigns:index"))  # the session and the scope are cached after this
    with django_assert_max_num_queries(7):
        assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("campaigns:index")).status_code == 200


def test_an_opt_out_or_a_block_after_the_freeze_skips_the_row_and_the_campaign_completes(
    max_manager, inbox_a, sms, django_capture_on_commit_callbacks
):
    from contacts.consent_actions import record_opt_out

    eva = contact("Eva", "+49 170 1111111", company="Nordlicht")
    olaf = contact("Olaf", "+49 170 2222222", company="Nordlicht")
    contact("Ida", "+49 170 3333333", company="Nordlicht")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = launched(inbox_a, max_manager, "Late", body="Hallo", rate=10)
    record_opt_out(eva.identities.get(), channel="sms", source="agent", actor=max_manager)
    olaf.is_blocked = True
    olaf.save()
    delivery.tick()
    delivery.tick()
    rows = {r.contact.first_name: r for r in CampaignRecipient.objects.select_related("contact")}
    assert (rows["Eva"].status, rows["Eva"].skip_reason) == ("skipped", "opted_out")
    assert (rows["Olaf"].status, rows["Olaf"].skip_reason) == ("skipped", "blocked")
    assert [s.to for s in sms] == ["+491703333333"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_the_tick_keeps_a_sending_campaigns_counts_warm_and_the_poll_redraws_only_them(
    client_for,
    max_manager,
    inbox_a,
    sms,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    from django.core.cache import cache

    from campaigns import report

    for n in range(3):
        contact(f"P{n}", f"+49 170 100000{n}", company="Nordlicht")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = launched(inbox_a, max_manager, "Warm", body="Hallo", rate=1)
    delivery.tick()
    assert isinstance(cache.get(f"campaign-counts:{campaign.pk}"), report.Counts)
    client = client_for(max_manager)
    client.get(reverse("campaigns:index"))
    url = reverse("campaigns:detail", args=[campaign.pk])
    with django_assert_max_num_queries(4):  # user, campaign, inbox's rate; counts cached
        poll = client.get(url, headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    text = poll.content.decode()
    assert 'id="campaign-report"' in text and 'id="campaign-recipients"' not in text
    assert 'hx-trigger="every 2s"' in text
