"""Opt-out, re-subscribe and help keywords answered to an inbox (campaigns.inbound), the
confirmation sent once, free text left to the agent's "Mark as opted out", and Twilio's
21610 recorded as the provider's opt-out."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from accounts.models import User
from campaigns.keywords import match_keyword, sounds_like_opt_out
from campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignSettings,
    OptOutKeyword,
)
from contacts.consent import OptOut
from contacts.models import Contact, ContactEvent
from inbox import actions, delivery
from inbox.channels import PermanentFailure, locmem
from inbox.models import ConversationEvent, DeliveryStatus, InboxChannel, Message
from tests.factories import ContactFactory, identity, inbound, inbox_with

CUSTOMER = "+491701234567"
SERVICE_NUMBER = "+4930123456"


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """Tasks published "on commit" run at once (eagerly), as right after the commit."""
    monkeypatch.setattr(
        "django.db.transaction.on_commit", lambda func, using=None, robust=False: func()
    )


@pytest.fixture(autouse=True)
def _locmem_sms(settings):
    settings.SMS_BACKEND = "locmem"
    locmem.reset()
    yield
    locmem.reset()


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = inbox_with("Service", "open", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address=SERVICE_NUMBER)
    return inbox


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Müller")
    identity(contact, "phone", CUSTOMER)
    return contact


def sent_bodies():
    return [sent.body for sent in locmem.outbox]


def outbound_bodies():
    return list(Message.objects.filter(direction="out").values_list("body", flat=True))


# --- Matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # German
        ("ENDE", "opt_out"),
        (" ende ", "opt_out"),
        ("Abbruch", "opt_out"),
        ("BEENDEN.", "opt_out"),
        ("Stop!", "opt_out"),
        ("anmelden", "opt_in"),
        ("Hilfe?", "help"),
        ("Ende nächster Woche", None),
        ("bitte keine SMS mehr", None),
        ("Nicht stoppen", None),
        # English
        ("STOP", "opt_out"),
        ("stop", "opt_out"),
        ("  Stop.  ", "opt_out"),
        ("UNSUBSCRIBE", "opt_out"),
        ("Unsubscribe!!!", "opt_out"),
        ("START", "opt_in"),
        ("help", "help"),
        ("Stop the delivery to my old address", None),
        ("Please stop", None),
        ("stop stop", None),
        # Swedish
        ("STOPP", "opt_out"),
        ("avsluta", "opt_out"),
        ("Hjälp", "help"),
        ("Avsluta prenumerationen tack", None),
        ("", None),
        ("🙂", None),
    ],
)
def test_only_a_whole_message_that_is_a_keyword_matches(inbox_a, text, action):
    match = match_keyword(inbox_a, text)

    assert (match.action if match else None) == action


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("bitte keine SMS mehr", True),
        ("Stop the delivery to my old address", True),
        ("Ich möchte mich abmelden", True),
        ("Inga fler meddelanden tack", True),
        ("No more texts please", True),
        ("Wo bleibt meine Bestellung?", False),
        ("Danke!", False),
    ],
)
def test_free_text_that_sounds_like_stop_is_only_a_hint(inbox_a, jana, text, hint):
    message = inbound(inbox_a, body=text)

    assert sounds_like_opt_out(text) is hint
    assert match_keyword(inbox_a, text) is None
    assert not OptOut.objects.exists() and not outbound_bodies()
    content = thread(message)
    assert ("Mark as opted out" in content) is hint


def thread(message, user=None):
    """The conversation's page as Alice (or `user`) sees it."""
    client = Client()
    client.force_login(user or User.objects.get(email="alice@nordlicht.example"))
    url = reverse("inbox:conversation", args=[message.conversation_id])
    return client.get(url).content.decode()


def test_the_default_keywords_of_the_seed_all_work_out_of_the_box(inbox_a):
    for word in ["STOP", "ENDE", "ABBRUCH", "UNSUBSCRIBE", "BEENDEN"]:
        assert match_keyword(inbox_a, word).action == "opt_out", word


def test_a_keyword_added_in_the_settings_matches_at_once(inbox_a, max_manager):
    from campaigns.actions.settings import add_keyword

    assert match_keyword(inbox_a, "Tschüss") is None
    add_keyword(inbox_a, language="de", action="opt_out", keyword="tschüss", actor=max_manager)

    assert match_keyword(inbox_a, "TSCHÜSS!").action == "opt_out"


# --- STOP ------------------------------------------------------------------------------------


def test_stop_records_an_opt_out_and_confirms_it_once_in_the_keywords_language(
    inbox_a, jana, caplog
):
    message = inbound(inbox_a, address=CUSTOMER, body="ENDE")

    assert "inbound hook" not in caplog.text

    row = OptOut.objects.get()
    phone = jana.identities.get()
    assert (row.identity, row.scope, row.action) == (phone, "sms", "out")
    assert (row.source, row.keyword, row.message_id) == ("keyword", "ENDE", message.pk)
    assert row.at == message.created_at
    assert OptOut.objects.is_opted_out(phone.pk, "sms")
    event = ConversationEvent.objects.get(kind="opted_out")
    assert event.data["keyword"] == "ENDE" and event.conversation == message.conversation
    assert ContactEvent.objects.filter(contact=jana, kind="opted_out").count() == 1
    [confirmation] = Message.objects.filter(direction="out")
    assert confirmation.body == (
        "Nordlicht GmbH: Sie erhalten keine weiteren Nachrichten. "
        "Antworten Sie START, um sich wieder anzumelden."
    )
    assert confirmation.author is None and confirmation.status == DeliveryStatus.SENT
    assert sent_bodies() == [confirmation.body]


def test_the_thread_shows_the_opt_out(inbox_a, jana, alice):
    message = inbound(inbox_a, address=CUSTOMER, body="Stop!")

    content = thread(message, alice)

    assert "Opted out of SMS campaigns by replying STOP" in content
    assert "Mark as opted out" not in content  # acted on already


def test_the_confirmation_speaks_the_contacts_language(inbox_a, jana):
    Contact.objects.filter(pk=jana.pk).update(attributes={"language": "sv"})

    inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert outbound_bodies() == [
        "Nordlicht GmbH: Du får inga fler meddelanden från oss. "
        "Svara START för att prenumerera igen."
    ]


def test_a_keyword_of_several_languages_answers_in_the_conversations_language(inbox_a, jana):
    inbound(inbox_a, address=CUSTOMER, body="Hallo, ich habe eine Frage zu meiner Bestellung")
    inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert outbound_bodies() == [
        "Nordlicht GmbH: Sie erhalten keine weiteren Nachrichten. "
        "Antworten Sie START, um sich wieder anzumelden."
    ]


def test_the_inboxs_own_confirmation_text_is_rendered_with_the_contact(inbox_a, jana):
    settings = CampaignSettings.objects.for_inbox(inbox_a)
    settings.confirmation_texts = {
        "de": "{{ account.company_name }}: Tschüss {{ contact.first_name | default: 'du' }}!"
    }
    settings.save()

    inbound(inbox_a, address=CUSTOMER, body="beenden")

    assert outbound_bodies() == ["Nordlicht GmbH: Tschüss Jana!"]


def test_no_confirmation_when_the_inbox_sends_none(inbox_a, jana):
    CampaignSettings.objects.filter(pk=CampaignSettings.objects.for_inbox(inbox_a).pk).update(
        confirmation_enabled=False
    )

    inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert OptOut.objects.count() == 1 and not outbound_bodies()


def test_nothing_happens_when_the_inbox_has_opt_out_handling_off(inbox_a, jana, max_manager):
    from campaigns.actions.settings import update_switches

    update_switches(
        inbox_a,
        actor=max_manager,
        insert_company_name=False,
        opt_out_enabled=False,
        confirmation_enabled=True,
        assistant_enabled=False,
    )

    message = inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert not OptOut.objects.exists() and not outbound_bodies()
    assert "Mark as opted out" in thread(message)  # the agent still can


def test_a_stop_from_an_unknown_number_opts_out_its_new_contact(inbox_a):
    inbound(inbox_a, address="+49 171 9999999", body="STOP")

    row = OptOut.objects.get()
    assert row.identity.normalised == "+491719999999" and row.identity.contact.kind == "ephemeral"


def test_a_replayed_twilio_webhook_confirms_once(inbox_a, jana, settings):
    settings.PUBLIC_BASE_URL = "https://support.nordlicht.example"
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    params = {
        "MessageSid": "SM" + "5" * 32,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": CUSTOMER,
        "To": SERVICE_NUMBER,
        "Body": "STOP",
        "NumMedia": "0",
    }
    path = "/webhooks/twilio/"
    signature = RequestValidator(django_settings.TWILIO_AUTH_TOKEN).compute_signature(
        settings.PUBLIC_BASE_URL + path, params
    )

    for _ in range(2):
        response = Client().post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
        assert response.status_code == 200

    assert Message.objects.filter(direction="in").count() == 1
    assert OptOut.objects.count() == 1
    assert len(outbound_bodies()) == 1 and len(locmem.outbox) == 1


def test_a_message_stored_again_records_nothing_new(inbox_a, jana):
    from inbox.actions import IncomingMessage, receive_message

    incoming = IncomingMessage(
        inbox=inbox_a,
        channel="sms",
        address=CUSTOMER,
        body="STOP",
        provider="twilio",
        provider_message_id="SM" + "6" * 32,
    )
    assert receive_message(incoming).created
    assert not receive_message(incoming).created

    assert OptOut.objects.count() == 1 and len(outbound_bodies()) == 1


def test_a_stop_processed_after_a_later_start_confirms_nothing(inbox_a, jana):
    now = timezone.now()
    inbound(inbox_a, address=CUSTOMER, body="START", received_at=now)

    inbound(inbox_a, address=CUSTOMER, body="STOP", received_at=now - timedelta(minutes=5))

    phone = jana.identities.get()
    assert OptOut.objects.filter(action="out").count() == 1  # the STOP is on record …
    assert not OptOut.objects.is_opted_out(phone.pk, "sms")  # … the START is the last word
    assert not outbound_bodies()


def test_start_subscribes_again(inbox_a, jana, alice):
    inbound(inbox_a, address=CUSTOMER, body="STOP")
    message = inbound(inbox_a, address=CUSTOMER, body="Start")

    phone = jana.identities.get()
    assert not OptOut.objects.is_opted_out(phone.pk, "sms")
    assert list(OptOut.objects.order_by("at").values_list("action", flat=True)) == ["out", "in"]
    assert ConversationEvent.objects.filter(kind="opted_in").count() == 1
    assert "Subscribed to SMS campaigns again by replying START" in thread(message, alice)


def test_help_is_answered_once_with_the_help_text(inbox_a, jana):
    inbound(inbox_a, address=CUSTOMER, body="HILFE")

    assert outbound_bodies() == [
        "Nordlicht GmbH: Antworten Sie STOP, um keine Nachrichten mehr zu erhalten, oder "
        "START, um sich wieder anzumelden."
    ]
    assert not OptOut.objects.exists()


def test_a_blocked_contact_is_opted_out_but_sent_nothing(inbox_a, jana, ada):
    from contacts.actions import block_contact

    block_contact(jana, reason="Spam", actor=ada)

    inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert OptOut.objects.count() == 1 and not outbound_bodies()


# --- Campaign recipients ------------------------------------------------------------------------


def test_stop_marks_the_campaign_it_answers_and_skips_waiting_recipients(inbox_a, jana):
    phone = jana.identities.get()
    now = timezone.now()

    def campaign(status, name):
        return Campaign.objects.create(inbox=inbox_a, name=name, channel="sms", status=status)

    answered = CampaignRecipient.objects.create(
        campaign=campaign("sending", "Sommer"),
        contact=jana,
        identity=phone,
        address=CUSTOMER,
        status="delivered",
        sent_at=now - timedelta(hours=2),
    )
    older = CampaignRecipient.objects.create(
        campaign=campaign("completed", "Frühling"),
        contact=jana,
        identity=phone,
        address=CUSTOMER,
        status="delivered",
        sent_at=now - timedelta(days=10),
    )
    waiting = CampaignRecipient.objects.create(
        campaign=campaign("paused", "Herbst"), contact=jana, identity=phone, status="queued"
    )
    claimed = CampaignRecipient.objects.create(
        campaign=campaign("sending", "Winter"), contact=jana, identity=phone, status="sending"
    )

    inbound(inbox_a, address=CUSTOMER, body="STOP", received_at=now)

    row = OptOut.objects.get()
    assert row.campaign_id == answered.campaign_id
    for recipient in (answered, older, waiting, claimed):
        recipient.refresh_from_db()
    assert answered.opted_out_at == now and older.opted_out_at is None
    assert (waiting.status, waiting.skip_reason) == ("skipped", "opted_out")
    assert claimed.status == "sending"  # forward only: the claim checks opt-outs itself


def test_a_stop_long_after_the_campaign_names_none(inbox_a, jana):
    phone = jana.identities.get()
    campaign = Campaign.objects.create(inbox=inbox_a, name="Alt", channel="sms", status="completed")
    CampaignRecipient.objects.create(
        campaign=campaign,
        contact=jana,
        identity=phone,
        status="delivered",
        sent_at=timezone.now() - timedelta(hours=73),
    )

    inbound(inbox_a, address=CUSTOMER, body="STOP")

    assert OptOut.objects.get().campaign_id is None


# --- The agent's "Mark as opted out" -----------------------------------------------------------


def test_an_agent_marks_free_text_as_an_opt_out(client_for, inbox_a, jana, alice):
    message = inbound(inbox_a, address=CUSTOMER, body="Bitte keine SMS mehr!")
    url = reverse("inbox:message_opt_out", args=[message.pk])

    response = client_for(alice).post(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    row = OptOut.objects.get()
    assert (row.source, row.actor, row.message_id) == ("agent", alice, message.pk)
    assert OptOut.objects.is_opted_out(jana.identities.get().pk, "sms")
    content = response.content.decode()
    assert "Alice Agent marked the contact as opted out of SMS campaigns" in content
    assert "Mark as opted out" not in content
    # Twice is refused, and records nothing.
    again = client_for(alice).post(url, headers={"HX-Request": "true"})
    assert again.status_code == 422
    assert "This contact has opted out already." in again.content.decode()
    assert OptOut.objects.count() == 1


def test_an_agent_of_another_inbox_cannot_mark_it(client_for, inbox_a, jana, bob):
    inbox_with("B", members=[bob])
    message = inbound(inbox_a, address=CUSTOMER, body="Bitte keine SMS mehr!")

    response = client_for(bob).post(reverse("inbox:message_opt_out", args=[message.pk]))

    assert response.status_code == 404 and not OptOut.objects.exists()


def test_a_reply_cannot_be_marked(client_for, inbox_a, jana, alice):
    message = inbound(inbox_a, address=CUSTOMER, body="Hallo")
    reply = actions.reply(message.conversation, body="Stop?", actor=alice)

    response = client_for(alice).post(
        reverse("inbox:message_opt_out", args=[reply.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 422 and not OptOut.objects.exists()


# --- Twilio 21610 ----------------------------------------------------------------------------


def test_a_send_refused_with_21610_records_the_providers_opt_out(inbox_a, jana, alice):
    conversation = inbound(inbox_a, address=CUSTOMER, body="Hallo").conversation
    locmem.failures.append(PermanentFailure("Twilio 400: unsubscribed recipient", "21610"))

    message = actions.reply(conversation, body="Unser Angebot", actor=alice)

    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    row = OptOut.objects.get()
    assert (row.source, row.provider_code, row.scope) == ("provider", "21610", "sms")
    assert row.identity == jana.identities.get()
    assert ConversationEvent.objects.filter(kind="opted_out", data__code="21610").exists()


def test_a_status_callback_with_21610_records_it_once(inbox_a, jana, alice):
    conversation = inbound(inbox_a, address=CUSTOMER, body="Hallo").conversation
    first = actions.reply(conversation, body="Eins", actor=alice)
    second = actions.reply(conversation, body="Zwei", actor=alice)

    for message in (first, second):
        delivery.record_status(message, DeliveryStatus.FAILED, error_code="21610")

    assert OptOut.objects.filter(source="provider").count() == 1


def test_another_failure_code_records_no_opt_out(inbox_a, jana, alice):
    conversation = inbound(inbox_a, address=CUSTOMER, body="Hallo").conversation
    message = actions.reply(conversation, body="Eins", actor=alice)

    delivery.record_status(message, DeliveryStatus.FAILED, error_code="30003")

    assert not OptOut.objects.exists()


def test_keywords_are_per_inbox(alice, jana):
    other = inbox_with("Vertrieb", members=[alice])
    CampaignSettings.objects.for_inbox(other)
    OptOutKeyword.objects.filter(inbox=other, keyword="ENDE").delete()

    assert match_keyword(other, "ENDE") is None
