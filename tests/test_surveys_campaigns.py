"""Survey campaigns (issue 13: "as a survey campaign to an audience"): the campaign type
"survey" with one of the inbox's surveys, `{{ survey.link }}` required at save, a preview
link that records nothing, a signed link of its own per recipient from the freeze, one
invitation per recipient however often a chunk or a send runs, the answers (link and SMS)
in the survey's results without an agent, consent as for marketing, and access."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import delivery
from campaigns import freeze as freezing
from campaigns.actions import campaigns as actions
from campaigns.models import Campaign, CampaignRecipient, RecipientStatus, SkipReason
from contacts.consent import Consent, ConsentBasis, ConsentSource, ConsentState, Purpose
from inbox.channels import TransientFailure, UnknownOutcome, locmem
from inbox.models import Conversation, InboxChannel
from surveys.links import invitation_id_for, preview_survey_id_for, token_for
from surveys.models import SurveyEvent, SurveyInvitation, SurveyResponse
from tests.factories import ContactFactory, identity, inbound, inbox_with
from tests.surveys_helpers import survey_of

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+4940123456"
BODY = "Wie war unser Service? Ihre Meinung in einer Minute: {{ survey.link }}"
LINK = re.compile(r"/s/(?P<token>\d+-[0-9a-f]{12})/")


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """Launch freezes "on commit"; inside the test's transaction it runs at once."""
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )


@pytest.fixture(autouse=True)
def sms(settings):
    settings.SMS_BACKEND = "locmem"
    settings.PUBLIC_BASE_URL = "https://support.nordlicht.example"
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = inbox_with("A", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=OUR_NUMBER)
    return inbox


@pytest.fixture
def survey(inbox_a, max_manager):
    return survey_of(inbox_a, max_manager, name="Zufriedenheit", on_resolve=False)


def customer(first_name, phone, *, consent=ConsentBasis.CONSENT, language="de"):
    """A Nordlicht customer with a mobile number and, unless None, a marketing SMS consent
    on the given basis."""
    person = ContactFactory(
        first_name=first_name, company="Nordlicht", attributes={"language": language}
    )
    found = identity(person, "phone", phone)
    if consent:
        Consent.objects.create(
            identity=found,
            purpose=Purpose.MARKETING_SMS,
            state=ConsentState.GRANTED,
            basis=consent,
            source=ConsentSource.FORM,
            evidence="Kundenkonto",
        )
    return person


def survey_campaign(inbox, manager, survey, *, body=BODY):
    campaign = actions.create_campaign(
        inbox=inbox,
        actor=manager,
        name="Umfrage Frühjahr",
        channel="sms",
        type="survey",
        content_id=survey.pk,
    )
    actions.update_campaign(
        campaign,
        actor=manager,
        values={
            "body": body,
            "audience": {
                "match": "all",
                "rules": [{"field": "company", "op": "equals", "value": "Nordlicht"}],
            },
            "window_days": [],
            "rate": 10,
        },
    )
    return campaign


def launched(inbox, manager, survey, **kwargs):
    campaign = survey_campaign(inbox, manager, survey, **kwargs)
    actions.launch_campaign(campaign, actor=manager)
    campaign.refresh_from_db()
    assert campaign.frozen_at is not None
    return campaign


def rows(campaign):
    return list(
        CampaignRecipient.objects.filter(campaign=campaign)
        .select_related("contact")
        .order_by("contact__first_name")
    )


def send_all(campaign):
    return delivery.send_batch(
        list(
            CampaignRecipient.objects.filter(
                campaign=campaign, status=RecipientStatus.QUEUED
            ).values_list("pk", flat=True)
        )
    )


def editor_post(survey, **extra):
    sender = InboxChannel.objects.get(inbox_id=survey.inbox_id, kind="sms")
    data = {
        "sender": str(sender.pk),
        "name": "Umfrage Frühjahr",
        "type": "survey",
        "content": str(survey.pk),
        "body": BODY,
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


# --- The editor: the type, the survey and the link --------------------------------------


def test_the_editor_refuses_a_survey_message_without_its_link(
    client_for, max_manager, inbox_a, survey
):
    campaign = survey_campaign(inbox_a, max_manager, survey, body="")
    client = client_for(max_manager)
    edit = reverse("campaigns:edit", args=[campaign.pk])
    page = client.get(edit).content.decode()
    assert "survey.link" in page  # the Variables menu offers it
    assert f'<option value="{survey.pk}" selected>Zufriedenheit</option>' in page

    refused = client.post(edit, editor_post(survey, body="Wie war unser Service?"))

    assert refused.status_code == 422
    assert "must contain {{ survey.link }}" in refused.content.decode()
    campaign.refresh_from_db()
    assert campaign.body == ""
    saved = client.post(edit, editor_post(survey))
    assert saved.status_code == 302
    campaign.refresh_from_db()
    assert campaign.body == BODY and campaign.content_id == survey.pk


def test_the_link_belongs_to_survey_campaigns_only(client_for, max_manager, inbox_a, survey):
    campaign = survey_campaign(inbox_a, max_manager, survey, body="")
    client = client_for(max_manager)

    refused = client.post(
        reverse("campaigns:edit", args=[campaign.pk]), editor_post(survey, type="marketing")
    )

    assert refused.status_code == 422
    assert "works only in campaigns of the type “Survey”" in refused.content.decode()


def test_a_survey_of_another_inbox_or_a_switched_off_one_cannot_be_chosen(
    client_for, max_manager, inbox_a, survey, bob
):
    other = survey_of(inbox_with("B", managers=[bob]), bob, name="Fremd")
    off = survey_of(inbox_a, max_manager, name="Alt", is_active=False)
    campaign = survey_campaign(inbox_a, max_manager, survey, body="")
    client = client_for(max_manager)
    edit = reverse("campaigns:edit", args=[campaign.pk])

    for chosen in (other, off):
        response = client.post(edit, editor_post(survey, content=str(chosen.pk)))
        assert response.status_code == 422
        assert "Choose one of the list." in response.content.decode()
    assert "Fremd" not in client.get(edit).content.decode()


def test_launch_needs_the_survey_and_the_link(max_manager, inbox_a, survey):
    customer("Eva", "+49 170 1111111")
    campaign = survey_campaign(inbox_a, max_manager, survey)
    Campaign.objects.filter(pk=campaign.pk).update(content_id=None, body="Wie war es?")
    campaign.refresh_from_db()

    problems = actions.launch_problems(campaign)

    assert any("Choose the survey" in problem for problem in problems)
    assert any("must contain {{ survey.link }}" in problem for problem in problems)


def test_the_preview_and_the_test_show_a_link_to_a_page_that_records_nothing(
    client_for, max_manager, inbox_a, survey, sms
):
    customer("Eva", "+49 170 1111111")
    campaign = survey_campaign(inbox_a, max_manager, survey)
    client = client_for(max_manager)

    preview = client.post(reverse("campaigns:preview", args=[campaign.pk]), editor_post(survey))
    token = re.search(r"/s/(p\d+-[0-9a-f]{12})/", preview.content.decode()).group(1)
    assert preview_survey_id_for(token) == survey.pk
    client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        editor_post(survey, send_test="1", test_to="+49 160 9999999"),
    )
    assert len(sms) == 1 and f"/s/{token}/" in sms[0].body

    page = client.get(f"/s/{token}/")
    assert page.status_code == 200 and "data-preview" in page.content.decode()
    answered = client.post(f"/s/{token}/", {"score": "5", "comment": "Test"})
    assert answered.status_code == 200
    assert "was not recorded" in answered.content.decode()
    assert not SurveyInvitation.objects.exists() and not SurveyResponse.objects.exists()
    assert client.get(f"/s/p{survey.pk}-000000000000/").status_code == 404


# --- The freeze: one invitation and one link per recipient ------------------------------


def test_each_recipient_gets_a_link_of_their_own(max_manager, inbox_a, survey):
    customer("Eva", "+49 170 1111111")
    customer("Jan", "+49 170 2222222", language="en")
    customer("Nils", "+49 170 3333333", consent=None)

    campaign = launched(inbox_a, max_manager, survey)

    eva, jan, nils = rows(campaign)
    assert nils.status == RecipientStatus.SKIPPED and nils.skip_reason == SkipReason.NO_CONSENT
    tokens = {}
    for row in (eva, jan):
        assert row.status == RecipientStatus.QUEUED
        invitation = SurveyInvitation.objects.get(campaign_recipient=row)
        assert invitation.survey == survey and invitation.status == "scheduled"
        assert invitation.source == "campaign" and invitation.agent is None
        assert invitation.address == row.address and invitation.contact_id == row.contact_id
        tokens[row.pk] = LINK.search(row.rendered_body).group("token")
        assert invitation_id_for(tokens[row.pk]) == invitation.pk
    assert tokens[eva.pk] != tokens[jan.pk]
    assert SurveyInvitation.objects.get(campaign_recipient=eva).language == "de"
    assert SurveyInvitation.objects.get(campaign_recipient=jan).language == "en"
    # Nils gets nothing, so his invitation (if the chunk made one) does not wait.
    assert not SurveyInvitation.objects.filter(campaign_recipient=nils, status="scheduled").exists()


def test_a_chunk_frozen_twice_creates_no_invitation_twice(max_manager, inbox_a, survey):
    customer("Eva", "+49 170 1111111")
    customer("Jan", "+49 170 2222222")
    campaign = launched(inbox_a, max_manager, survey)
    links = {row.pk: row.rendered_body for row in rows(campaign)}

    # A killed worker: the rows are pending again and the freeze runs once more.
    CampaignRecipient.objects.filter(campaign=campaign).update(
        status=RecipientStatus.PENDING, rendered_body=""
    )
    Campaign.objects.filter(pk=campaign.pk).update(frozen_at=None)
    freezing.freeze(campaign.pk)

    assert SurveyInvitation.objects.count() == 2
    assert {row.pk: row.rendered_body for row in rows(campaign)} == links


def test_a_retried_send_marks_the_invitation_sent_once(max_manager, inbox_a, survey, sms):
    customer("Eva", "+49 170 1111111")
    campaign = launched(inbox_a, max_manager, survey)
    (row,) = rows(campaign)
    locmem.failures.append(TransientFailure("busy", "503"))

    assert send_all(campaign) == {RecipientStatus.QUEUED: 1}
    assert SurveyInvitation.objects.get().status == "scheduled"
    CampaignRecipient.objects.filter(pk=row.pk).update(not_before=timezone.now())
    assert send_all(campaign) == {RecipientStatus.SENT: 1}
    assert send_all(campaign) == {}
    # The provider's hook again (a delivery callback first, a worker retrying): no change.
    row.refresh_from_db()
    delivery.content.message_sent(campaign, row)

    invitation = SurveyInvitation.objects.get()
    assert invitation.status == "sent" and invitation.sent_at is not None
    assert SurveyEvent.objects.filter(invitation=invitation, kind="sent").count() == 1
    assert len(sms) == 1 and token_for(invitation.pk) in sms[0].body


def test_a_cancelled_campaign_cancels_what_it_did_not_send(max_manager, inbox_a, survey, sms):
    customer("Eva", "+49 170 1111111")
    customer("Jan", "+49 170 2222222")
    campaign = launched(inbox_a, max_manager, survey)
    eva, jan = rows(campaign)
    delivery.send_batch([eva.pk])

    actions.cancel_campaign(campaign, actor=max_manager)

    assert SurveyInvitation.objects.get(campaign_recipient=eva).status == "sent"
    cancelled = SurveyInvitation.objects.get(campaign_recipient=jan)
    assert cancelled.status == "cancelled"
    assert client_get_status(f"/s/{token_for(cancelled.pk)}/") == 404


def client_get_status(path):
    from django.test import Client

    return Client().get(path).status_code


# --- Consent: like marketing -------------------------------------------------------------


def test_an_existing_customer_gets_it_with_the_objection_notice(max_manager, inbox_a, survey, sms):
    customer("Eva", "+49 170 1111111", consent=ConsentBasis.EXISTING_CUSTOMER)
    customer("Nils", "+49 170 3333333", consent=None)

    campaign = launched(inbox_a, max_manager, survey)
    send_all(campaign)

    eva, nils = rows(campaign)
    assert nils.skip_reason == SkipReason.NO_CONSENT
    assert eva.status == RecipientStatus.SENT
    assert eva.rendered_body.splitlines()[-1] == "Abmelden: Antwort STOP"
    assert [sent.to for sent in sms] == ["+491701111111"]


def test_the_preview_skips_who_has_no_consent(client_for, max_manager, inbox_a, survey):
    customer("Nils", "+49 170 3333333", consent=None)
    campaign = survey_campaign(inbox_a, max_manager, survey)

    preview = client_for(max_manager).post(
        reverse("campaigns:preview", args=[campaign.pk]), editor_post(survey)
    )

    assert "No marketing consent" in preview.content.decode()


# --- The answers -------------------------------------------------------------------------


def test_an_answer_by_link_lands_in_the_results_without_an_agent(
    client_for, max_manager, inbox_a, survey
):
    customer("Eva", "+49 170 1111111")
    campaign = launched(inbox_a, max_manager, survey)
    send_all(campaign)
    (row,) = rows(campaign)
    token = LINK.search(row.rendered_body).group("token")

    from django.test import Client

    public = Client()
    assert public.get(f"/s/{token}/5/").status_code == 200
    assert not SurveyResponse.objects.exists()  # GET never records
    assert public.post(f"/s/{token}/", {"score": "4", "comment": "Schnell"}).status_code == 302

    response = SurveyResponse.objects.get()
    assert response.survey == survey and response.agent is None and response.score == 4
    assert response.invitation.campaign_recipient == row
    page = client_for(max_manager).get(reverse("surveys:detail", args=[survey.pk]))
    text = page.content.decode()
    assert "Campaign · no agent" in text and "Schnell" in text
    assert 'data-response-rate="100.0"' in text
    report = client_for(max_manager).get(reverse("campaigns:detail", args=[campaign.pk]))
    assert reverse("surveys:detail", args=[survey.pk]) in report.content.decode()


def test_an_sms_score_within_a_day_is_the_answer_and_starts_no_open_conversation(
    max_manager, inbox_a, survey
):
    customer("Eva", "+49 170 1111111")
    campaign = launched(inbox_a, max_manager, survey)
    send_all(campaign)

    message = inbound(inbox_a, address="+49 170 1111111", body="5")

    response = SurveyResponse.objects.get()
    assert response.score == 5 and response.source == "sms" and response.agent is None
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == "resolved"
    invitation = response.invitation
    assert invitation.conversation_id == conversation.pk
    (row,) = rows(campaign)
    assert row.replied_at is not None and row.conversation_id == conversation.pk
    # A changed score lands in the same conversation and replaces the answer.
    again = inbound(inbox_a, address="+49 170 1111111", body="3")
    assert again.conversation_id == conversation.pk
    assert SurveyResponse.objects.get().score == 3


def test_a_link_whose_send_outcome_is_unknown_still_works(max_manager, inbox_a, survey):
    customer("Eva", "+49 170 1111111")
    campaign = launched(inbox_a, max_manager, survey)
    locmem.failures.append(UnknownOutcome("timeout", "timeout"))
    assert send_all(campaign) == {RecipientStatus.UNKNOWN: 1}
    (row,) = rows(campaign)
    token = LINK.search(row.rendered_body).group("token")

    assert client_get_status(f"/s/{token}/") == 200


# --- Access and navigation ---------------------------------------------------------------


def test_other_inboxes_get_404_and_members_403(
    client_for, max_manager, alice, bob, inbox_a, survey
):
    inbox_with("B", members=[bob])
    campaign = survey_campaign(inbox_a, max_manager, survey)
    edit = reverse("campaigns:edit", args=[campaign.pk])
    preview = reverse("campaigns:preview", args=[campaign.pk])
    launch = reverse("campaigns:launch", args=[campaign.pk])

    for url in (edit, launch):
        assert client_for(bob).get(url).status_code == 404
        assert client_for(alice).get(url).status_code == 403
    assert client_for(bob).post(preview, editor_post(survey)).status_code == 404
    assert client_for(alice).post(preview, editor_post(survey)).status_code == 403
    assert client_for(alice).post(edit, editor_post(survey)).status_code == 403
    surveys_of_a = reverse("surveys:index") + f"?inbox={inbox_a.pk}"
    assert client_for(bob).get(surveys_of_a).status_code == 404
    assert client_for(alice).get(surveys_of_a).status_code == 200
    assert client_for(alice).get(reverse("surveys:index") + "?inbox=x").status_code == 404


def test_an_inbox_settings_page_leads_to_its_surveys(client_for, max_manager, inbox_a, survey):
    other = survey_of(inbox_with("B", managers=[max_manager]), max_manager, name="Anderswo")
    client = client_for(max_manager)

    settings_page = client.get(reverse("inbox_settings:inbox_detail", args=[inbox_a.pk]))
    link = reverse("surveys:index") + f"?inbox={inbox_a.pk}"
    assert f'href="{link}"' in settings_page.content.decode()
    listed = client.get(link).content.decode()
    assert survey.name in listed and other.name not in listed


def test_a_survey_campaign_starts_from_the_survey_page(client_for, max_manager, inbox_a, survey):
    client = client_for(max_manager)
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    start = f"{reverse('campaigns:new')}?inbox={inbox_a.pk}&amp;type=survey&amp;content={survey.pk}"
    assert start in detail

    created = client.post(
        reverse("campaigns:new"),
        {
            "inbox": inbox_a.pk,
            "name": "Umfrage",
            "channel": "sms",
            "type": "survey",
            "content": str(survey.pk),
        },
    )

    assert created.status_code == 302
    assert Campaign.objects.get().content_id == survey.pk


def test_a_survey_a_campaign_sends_cannot_be_deleted(client_for, max_manager, inbox_a, survey):
    survey_campaign(inbox_a, max_manager, survey)

    response = client_for(max_manager).post(reverse("surveys:delete", args=[survey.pk]))

    assert response.status_code == 302
    assert survey.__class__.objects.filter(pk=survey.pk).exists()


@pytest.mark.parametrize(("period", "unit", "bars"), [("7", "day", 8), ("90", "week", 14)])
def test_longer_periods_chart_a_bar_per_week_or_month(
    client_for, max_manager, inbox_a, survey, period, unit, bars
):
    customer("Eva", "+49 170 1111111")
    campaign = launched(inbox_a, max_manager, survey)
    send_all(campaign)
    inbound(inbox_a, address="+49 170 1111111", body="5")
    from surveys.results import period_bounds, results_for

    since, until = period_bounds(period)
    found = results_for(survey, since=since, until=until)

    assert found.chart_unit == unit
    assert len(found.chart) in (bars, bars + 1)  # a week that starts before the period
    assert [bar["figure"] for bar in found.chart if bar["answers"]] == [100.0]
    yearly = client_for(max_manager).get(
        reverse("surveys:detail", args=[survey.pk]), {"period": "365"}
    )
    assert yearly.status_code == 200 and "By month" in yearly.content.decode()
