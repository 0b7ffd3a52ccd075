"""Who a campaign reaches and why not: audience rules, include and exclude lists, the consent
and opt-out gates with every skip's reason, send windows in the recipient's zone, the
forecast, and RFC 8058 unsubscribe (POST unsubscribes, GET only asks)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from campaigns import audience, delivery, freeze, report, windows
from campaigns.actions import campaigns as actions
from campaigns.models import CampaignRecipient, RecipientStatus
from campaigns.unsubscribe import token_for
from contacts.consent import Consent, ConsentSource, ConsentState, OptOut, Purpose
from contacts.models import AttributeDefinition, Tag
from inbox.channels import locmem
from inbox.models import InboxChannel
from tests.factories import ContactFactory, identity, inbound, inbox_with

pytestmark = pytest.mark.django_db
ANY_TIME = {"window_days": [], "rate": 100}


@pytest.fixture
def inbox_a(max_manager, settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    inbox = inbox_with("A", managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940123456")
    InboxChannel.objects.create(inbox=inbox, kind="email", address="news@nordlicht.example")
    return inbox


def person(name, phone=None, email=None, *, consent=(), **fields):
    contact = ContactFactory(first_name=name, **fields)
    for kind, value in (("phone", phone), ("email", email)):
        if value:
            found = identity(contact, kind, value)
            purpose = Purpose.MARKETING_SMS if kind == "phone" else Purpose.MARKETING_EMAIL
            if kind in consent:
                Consent.objects.create(
                    identity=found,
                    purpose=purpose,
                    state=ConsentState.GRANTED,
                    source=ConsentSource.IMPORT,
                    evidence="CRM export 2026-11",
                )
    return contact


def campaign_for(inbox, manager, *, channel="sms", kind="marketing", **values):
    campaign = actions.create_campaign(
        inbox=inbox, actor=manager, name="Test", channel=channel, type=kind
    )
    values.setdefault("body", "Hallo {{ contact.first_name | default: 'du' }}")
    if channel == "email":
        values.setdefault("subject", "Neuigkeiten")
    actions.update_campaign(campaign, actor=manager, values={**ANY_TIME, **values})
    campaign.refresh_from_db()
    return campaign


def names(queryset):
    return sorted(c.first_name for c in queryset)


def rules(*triples, match="all"):
    return {"match": match, "rules": [{"field": f, "op": o, "value": v} for f, o, v in triples]}


def test_rules_over_built_in_and_custom_attributes_tags_and_kind(inbox_a, max_manager):
    AttributeDefinition.objects.create(key="plan", label="Plan", type="text")
    AttributeDefinition.objects.create(key="renewal", label="Renewal", type="date")
    eva = person(
        "Eva", company="Nordlicht GmbH", attributes={"plan": "Gold", "renewal": "2027-01-10"}
    )
    person("Nils", company="Bäckerei Nord", attributes={"plan": "Silver", "renewal": "2026-03-01"})
    person("Olga", company="", kind="curated")
    eva.tags.add(Tag.objects.create(name="VIP"))
    campaign = campaign_for(inbox_a, max_manager)

    def matching(definition):
        return names(audience.contacts_for(campaign, definition))

    assert matching(rules(("company", "contains", "nord"))) == ["Eva", "Nils"]
    assert matching(rules(("company", "equals", "nordlicht gmbh"))) == ["Eva"]
    assert matching(rules(("company", "is_empty", ""))) == ["Olga"]
    assert matching(rules(("attr:plan", "equals", "gold"))) == ["Eva"]
    assert matching(rules(("attr:renewal", "after", "2026-12-01"))) == ["Eva"]
    assert matching(rules(("attr:renewal", "before", "2026-12-01"))) == ["Nils"]
    assert matching(rules(("attr:plan", "is_empty", ""))) == ["Olga"]
    assert matching(rules(("tag", "equals", "vip"))) == ["Eva"]
    assert matching(rules(("kind", "equals", "curated"))) == ["Olga"]
    either = rules(("tag", "equals", "vip"), ("kind", "equals", "curated"), match="any")
    assert matching(either) == ["Eva", "Olga"]
    assert matching({"rules": []}) == []  # nobody by accident


def test_wrote_within_days_and_include_lists(inbox_a, max_manager):
    writer = person("Wera", "+49 170 5550001")
    person("Quiet", "+49 170 5550002")
    inbound(inbox_a, address="+49 170 5550001", body="Hallo")
    campaign = campaign_for(inbox_a, max_manager)
    assert names(audience.contacts_for(campaign, rules(("wrote_within_days", "equals", "7")))) == [
        "Wera"
    ]
    pasted = {"rules": [], "include": {"addresses": ["+491705550002"], "contacts": [writer.pk]}}
    assert names(audience.contacts_for(campaign, pasted)) == ["Quiet", "Wera"]
    good, bad = audience.parse_addresses("0170 5550002; eva@example.com\nnot a number")
    assert good == ["+491705550002", "eva@example.com"] and bad == ["not a number"]


def test_a_bad_rule_is_refused_with_a_message(inbox_a, max_manager):
    with pytest.raises(Exception, match="Rule 1: enter a value"):
        audience.clean({"rules": [{"field": "company", "op": "equals", "value": ""}]})
    with pytest.raises(Exception, match="between 1 and 3650"):
        audience.clean({"rules": [{"field": "wrote_within_days", "op": "equals", "value": "x"}]})


def freeze_campaign(campaign, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.launch_campaign(campaign, actor=manager)
    return {
        r.contact.first_name: r
        for r in CampaignRecipient.objects.filter(campaign=campaign).select_related("contact")
    }


def test_marketing_needs_consent_and_every_skip_keeps_its_reason(
    inbox_a, max_manager, django_capture_on_commit_callbacks
):
    person("Ok", "+49 170 1000001", consent=("phone",), company="N")
    person("NoConsent", "+49 170 1000002", company="N")
    stopped = person("Stopped", "+49 170 1000003", consent=("phone",), company="N")
    person("Blocked", "+49 170 1000004", consent=("phone",), company="N", is_blocked=True)
    person("NoPhone", email="np@example.com", company="N")
    person("Excluded", "+49 170 1000005", consent=("phone",), company="N")
    person("Missing", "+49 170 1000006", consent=("phone",), company="N", last_name="")
    OptOut.objects.create(identity=stopped.identities.get(), scope="sms", source="keyword")
    campaign = campaign_for(
        inbox_a,
        max_manager,
        body="Hallo {{ contact.first_name }} {{ contact.last_name }}",
        audience={
            **rules(("company", "equals", "N")),
            "exclude": {"addresses": ["+491701000005"]},
        },
    )
    rows = freeze_campaign(campaign, max_manager, django_capture_on_commit_callbacks)
    reasons = {name: (r.status, r.skip_reason) for name, r in rows.items()}
    assert reasons["Ok"][0] == RecipientStatus.QUEUED
    assert reasons["NoConsent"] == ("skipped", "no_consent")
    assert reasons["Stopped"] == ("skipped", "opted_out")
    assert reasons["Blocked"] == ("skipped", "blocked")
    assert reasons["NoPhone"] == ("skipped", "no_address")
    assert reasons["Excluded"] == ("skipped", "excluded")
    assert reasons["Missing"] == ("skipped", "missing_variable")
    found = report.counts(campaign)
    assert found.skipped == {
        "no_consent": 1,
        "opted_out": 1,
        "blocked": 1,
        "no_address": 1,
        "excluded": 1,
        "missing_variable": 1,
    }
    # Freezing again (a worker killed mid-freeze, the task redelivered) adds nothing.
    freeze.freeze(campaign.pk)
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 7


def test_service_campaigns_ignore_marketing_consent_but_never_reach_an_opt_out(
    inbox_a, max_manager, django_capture_on_commit_callbacks
):
    person("NoConsent", "+49 170 2000001", company="N")
    stopped = person("Stopped", "+49 170 2000002", company="N")
    OptOut.objects.create(identity=stopped.identities.get(), scope="sms", source="agent")
    campaign = campaign_for(
        inbox_a, max_manager, kind="service", audience=rules(("company", "equals", "N"))
    )
    rows = freeze_campaign(campaign, max_manager, django_capture_on_commit_callbacks)
    assert rows["NoConsent"].status == RecipientStatus.QUEUED
    assert (rows["Stopped"].status, rows["Stopped"].skip_reason) == ("skipped", "opted_out")


def test_the_company_name_goes_first_and_counts_in_the_segments(
    inbox_a, max_manager, organisation, django_capture_on_commit_callbacks
):
    from campaigns.models import CampaignSettings

    organisation.name = "Nordlicht GmbH"
    organisation.save()
    CampaignSettings.objects.for_inbox(inbox_a)
    CampaignSettings.objects.filter(inbox=inbox_a).update(insert_company_name=True)
    person("Eva", "+49 170 3000001", company="N")
    campaign = campaign_for(
        inbox_a,
        max_manager,
        kind="service",
        body="x" * 145,
        audience=rules(("company", "equals", "N")),
    )
    rows = freeze_campaign(campaign, max_manager, django_capture_on_commit_callbacks)
    assert rows["Eva"].rendered_body == "Nordlicht GmbH: " + "x" * 145
    assert rows["Eva"].segments == 2  # 161 characters


BERLIN = ZoneInfo("Europe/Berlin")
STOCKHOLM_NUMBER = "+46701234567"


def test_send_windows_follow_the_recipient(settings):
    settings.CAMPAIGN_TIME_ZONE = "Europe/Berlin"
    days, start, end = [0, 1, 2, 3, 4, 5], datetime.time(9), datetime.time(20)
    saturday_night = datetime.datetime(2026, 12, 5, 21, 30, tzinfo=BERLIN)
    opening = windows.next_opening(saturday_night, "Europe/Berlin", days, start, end)
    assert opening == datetime.datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)  # Monday 09:00
    tuesday_noon = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
    assert windows.next_opening(tuesday_noon, "Europe/Berlin", days, start, end) == tuesday_noon
    assert windows.zone_name_for({}, STOCKHOLM_NUMBER) == "Europe/Stockholm"
    assert windows.zone_name_for({"time_zone": "America/Chicago"}, "+4917012") == "America/Chicago"
    assert windows.zone_name_for({"time_zone": "Mars/Olympus"}, "") == "Europe/Berlin"
    # New York is six hours behind: 08:30 there is still before the window.
    early = datetime.datetime(2026, 12, 1, 14, 30, tzinfo=BERLIN)
    assert not windows.is_open(early, "America/New_York", days, start, end)


def test_the_forecast_counts_segments_against_the_rate_and_the_window(inbox_a, max_manager):
    campaign = campaign_for(inbox_a, max_manager)
    campaign.window_days, campaign.window_start, campaign.window_end = (
        [0, 1, 2, 3, 4, 5],
        datetime.time(9),
        datetime.time(20),
    )
    text = report.forecast(campaign, recipients=50_000, segments=2, rate=1)
    assert text.startswith("about 28 hours at 1 messages per second")
    assert "continues on the next days within the window (3 sending days)" in text
    assert report.forecast(campaign, recipients=60, segments=1, rate=1).startswith(
        "about 60 seconds"
    )


@pytest.fixture
def email_campaign(inbox_a, max_manager, django_capture_on_commit_callbacks, settings):
    settings.PUBLIC_BASE_URL = "https://support.nordlicht.example"
    person("Eva", email="eva@example.com", consent=("email",), company="N")
    campaign = campaign_for(
        inbox_a, max_manager, channel="email", audience=rules(("company", "equals", "N"))
    )
    freeze_campaign(campaign, max_manager, django_capture_on_commit_callbacks)
    delivery.tick()
    return campaign


def test_campaign_emails_carry_one_click_unsubscribe(email_campaign):
    (sent,) = mail.outbox
    recipient = CampaignRecipient.objects.get(campaign=email_campaign)
    link = f"https://support.nordlicht.example/campaigns/unsubscribe/{token_for(recipient.pk)}/"
    assert sent.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in sent.body  # and visible in the body
    assert recipient.status == RecipientStatus.SENT


def test_get_only_asks_and_post_unsubscribes_without_log_in(email_campaign):
    recipient = CampaignRecipient.objects.get(campaign=email_campaign)
    url = reverse("campaigns:unsubscribe", args=[token_for(recipient.pk)])
    anonymous = Client(enforce_csrf_checks=True)

    page = anonymous.get(url)  # what a mail scanner does
    assert page.status_code == 200 and b"Unsubscribe?" in page.content
    assert not OptOut.objects.exists()

    one_click = anonymous.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058
    assert one_click.status_code == 200 and b"You are unsubscribed" in one_click.content
    assert OptOut.objects.is_opted_out(recipient.identity_id, "email")
    assert anonymous.post(url).status_code == 200  # twice is harmless
    assert OptOut.objects.count() == 1
    recipient.refresh_from_db()
    assert recipient.opted_out_at is not None


def test_a_forged_unsubscribe_link_changes_nothing(email_campaign):
    recipient = CampaignRecipient.objects.get(campaign=email_campaign)
    forged = f"{recipient.pk}-{'0' * 16}"
    response = Client().post(reverse("campaigns:unsubscribe", args=[forged]))
    assert response.status_code == 404
    assert not OptOut.objects.exists()


def test_a_click_on_a_campaign_link_is_counted_once_and_leads_on(
    inbox_a, max_manager, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "https://support.nordlicht.example"
    person("Eva", email="eva@example.com", consent=("email",), company="N")
    campaign = campaign_for(
        inbox_a,
        max_manager,
        channel="email",
        body="Unser Angebot: https://nordlicht.example/angebot?x=1.",
        audience=rules(("company", "equals", "N")),
    )
    freeze_campaign(campaign, max_manager, django_capture_on_commit_callbacks)
    delivery.tick()
    (sent,) = mail.outbox
    assert "https://nordlicht.example/angebot" not in sent.body
    tracked = next(w for w in sent.body.split() if "/campaigns/l/" in w).rstrip(".")
    path = tracked.removeprefix("https://support.nordlicht.example")
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == "https://nordlicht.example/angebot?x=1"
    Client().get(path)
    assert CampaignRecipient.objects.get().clicked_at is not None
    assert report.counts(campaign, fresh=True).clicked == 1  # the tick recounts it
    assert Client().get(path[:-5] + "xxxx/").status_code == 404


def test_a_scheduled_campaign_stays_sendable_and_now_means_back_to_draft(
    inbox_a, max_manager, settings
):
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from campaigns.models import Campaign, CampaignStatus

    person("Eva", "+49 170 4000001", consent=("phone",), company="N")
    campaign = campaign_for(inbox_a, max_manager, audience=rules(("company", "equals", "N")))
    at = timezone.now() + dt.timedelta(days=1)
    actions.launch_campaign(campaign, actor=max_manager, at=at)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    with pytest.raises(ValidationError, match="Write the message"):
        actions.update_campaign(campaign, actor=max_manager, values={"body": ""})
    actions.update_campaign(campaign, actor=max_manager, values={"scheduled_at": None})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    # A campaign that became unsendable while scheduled (changed behind the editor's back)
    # goes back to draft at its time instead of sending an empty message.
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SCHEDULED, scheduled_at=timezone.now(), body=""
    )
    delivery.tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not locmem.outbox


def test_number_attributes_compare_as_numbers(inbox_a, max_manager):
    AttributeDefinition.objects.create(key="orders", label="Orders", type="number")
    person("Ten", attributes={"orders": 10})
    person("Three", attributes={"orders": 3})
    person("Many", attributes={"orders": "many"})
    campaign = campaign_for(inbox_a, max_manager)
    found = audience.contacts_for(campaign, rules(("attr:orders", "after", "5")))
    assert names(found) == ["Ten"]
    with pytest.raises(Exception, match="enter a number"):
        audience.clean(rules(("attr:orders", "after", "many")))


def test_csv_cells_that_look_like_formulas_are_quoted():
    from lib.text import spreadsheet_safe as _safe

    for formula in ("=1+1", '=1+HYPERLINK("http://x")', "-2+3", "\t=1", "@SUM(A1)", "+1+1"):
        assert _safe(formula).startswith("'"), formula
    assert _safe("+4917012345") == "+4917012345"
    assert _safe("Eva Berg") == "Eva Berg"


def test_only_the_campaigns_own_links_are_tracked():
    from campaigns.clicks import links_in, track_links

    own = links_in("Angebot: https://nordlicht.example/angebot. {{ contact.first_name }}")
    text = "Angebot: https://nordlicht.example/angebot. https://evil.example/x"
    tracked = track_links(text, 7, only=own)
    assert "https://nordlicht.example/angebot" not in tracked
    assert "https://evil.example/x" in tracked  # a contact's value stays a plain link


def test_tests_go_to_staff_only_never_to_an_opted_out_number(
    client_for, inbox_a, max_manager, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    stopped = person("Stopped", "+49 170 5000001", consent=("phone",), company="N")
    OptOut.objects.create(identity=stopped.identities.get(), scope="sms", source="keyword")
    campaign = campaign_for(inbox_a, max_manager, audience=rules(("company", "equals", "N")))
    with pytest.raises(ValidationError, match="opted out"):
        actions.send_test(campaign, actor=max_manager, to="+491705000001", body="x", subject="")
    email = campaign_for(inbox_a, max_manager, channel="email")
    with pytest.raises(ValidationError, match="your team only"):
        actions.send_test(email, actor=max_manager, to="eva@example.com", body="x", subject="")
    actions.send_test(email, actor=max_manager, to=max_manager.email, body="x", subject="s")
    assert len(mail.outbox) == 1
    for _ in range(actions.TESTS_PER_HOUR - 1):
        actions.send_test(email, actor=max_manager, to=max_manager.email, body="x", subject="s")
    with pytest.raises(ValidationError, match="in an hour"):
        actions.send_test(email, actor=max_manager, to=max_manager.email, body="x", subject="s")


def test_marketing_sms_gets_the_objection_notice_unless_the_text_names_a_keyword(
    inbox_a, max_manager
):
    from campaigns.models import CampaignSettings
    from campaigns.notice import with_notice

    marketing = campaign_for(inbox_a, max_manager)
    service = campaign_for(inbox_a, max_manager, kind="service")
    email = campaign_for(inbox_a, max_manager, channel="email")
    sven = ContactFactory(first_name="Sven", attributes={"language": "sv"})
    jana = ContactFactory(first_name="Jana")

    assert with_notice("Hej!", campaign=marketing, contact=sven) == (
        "Hej!\nSvara STOP för att avsluta"
    )
    assert with_notice("Hallo!", campaign=marketing, contact=jana) == (
        "Hallo!\nAbmelden: Antwort STOP"
    )
    assert with_notice(
        "20 % Rabatt. Stopp? Antworten Sie ENDE.", campaign=marketing, contact=jana
    ).endswith("ENDE.")
    assert with_notice("Ihr Termin", campaign=service, contact=jana) == "Ihr Termin"
    assert with_notice("Newsletter", campaign=email, contact=jana) == "Newsletter"
    CampaignSettings.objects.filter(inbox=inbox_a).update(opt_out_enabled=False)
    from campaigns.keywords import forget_keywords

    forget_keywords(inbox_a.pk)
    from django.core.cache import cache

    cache.clear()
    assert with_notice("Hallo!", campaign=marketing, contact=jana) == "Hallo!"
