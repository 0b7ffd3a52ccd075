""" "Send message" and "Call" on the contact card (seed 002): the message continues or starts a
conversation in the chosen inbox and leaves through the one outbound path (locmem SMS);
only configured channels and the user's own inboxes are offered; blocked contacts, foreign
addresses and foreign inboxes are refused with nothing sent; a double submit sends once."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from contacts.actions import block_contact
from contacts.models import Contact
from inbox.actions import assignment
from inbox.actions.contact_send import send_to_contact
from inbox.channels import locmem
from inbox.models import (
    ContactState,
    Conversation,
    ConversationEvent,
    DeliveryStatus,
    Direction,
    InboxChannel,
    Message,
)
from lib.errors import ActionRefused
from tests.factories import ContactFactory, UserFactory, identity, inbound, inbox_with

JANA_PHONE = "+491701234567"
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """Tasks published on commit run at once (eagerly), as right after the action's commit."""
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
    inbox = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111111")
    InboxChannel.objects.create(inbox=inbox, kind="email", address="service@nordlicht.example")
    return inbox


@pytest.fixture
def inbox_b(bob):
    inbox = inbox_with("Vertrieb", "assignment", members=[bob])
    InboxChannel.objects.create(inbox=inbox, kind="whatsapp", address="+4940222222")
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940333333")
    return inbox


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Berg", company="Berg KG")
    identity(contact, "phone", "+49 170 1234567")
    identity(contact, "email", "Jana@Berg.example")
    return contact


def contact_send_url(contact):
    return reverse("inbox:contact_send", args=[contact.pk])


def post(client, contact, inbox, *, htmx=True, **data):
    fields = {
        "address": JANA_PHONE,
        "channel": "sms",
        "inbox": str(inbox.pk),
        "body": "Hallo {contact_first_name|du}, Ihr Paket ist da. {company_name}",
        "client_id": str(uuid.uuid4()),
        **data,
    }
    return client.post(contact_send_url(contact), fields, headers=HX if htmx else {})


def test_sending_starts_a_conversation_in_the_chosen_inbox_and_delivers_it(
    client_for, alice, inbox_a, inbox_b, jana
):
    response = post(client_for(alice), jana, inbox_a)

    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert (conversation.inbox, conversation.contact, conversation.channel) == (
        inbox_a,
        jana,
        "sms",
    )
    assert conversation.address == JANA_PHONE
    assert conversation.inbox_channel.address == "+4940111111"
    assert conversation.contact_state == ContactState.CONFIRMED
    assert conversation.assignee is None  # an open inbox
    message = conversation.messages.get()
    assert (message.direction, message.author, message.status) == ("out", alice, "sent")
    assert message.body == "Hallo Jana, Ihr Paket ist da. Nordlicht GmbH"
    [sent] = locmem.outbox
    assert (sent.to, sent.from_, sent.body) == (JANA_PHONE, "+4940111111", message.body)
    kinds = list(conversation.events.values_list("kind", flat=True))
    assert kinds == [ConversationEvent.Kind.CREATED, ConversationEvent.Kind.REPLY_SENT]
    page = response.content.decode()
    assert "Message sent" in page
    link = reverse("inbox:conversation", args=[conversation.pk])
    assert f'href="{link}"' in page and f"Open conversation #{conversation.number}" in page
    assert 'hx-target="#toasts"' in page  # the toast travels with the fragment
    thread = client_for(alice).get(link).content.decode()
    assert "Ihr Paket ist da." in thread


def test_sending_continues_the_contacts_open_conversation_there(client_for, alice, inbox_a, jana):
    earlier = inbound(inbox_a, address="+49 170 1234567", body="Wo ist mein Paket?").conversation

    post(client_for(alice), jana, inbox_a, body="Es kommt morgen.")

    assert Conversation.objects.get() == earlier
    assert [m.direction for m in earlier.messages.all()] == [Direction.INBOUND, Direction.OUTBOUND]
    assert len(locmem.outbox) == 1


def test_a_conversation_a_colleague_holds_is_not_continued_a_new_one_is_assigned_to_me(
    client_for, bob, inbox_b, jana
):
    erik = UserFactory(display_name="Erik")
    inbox_b.memberships.create(user=erik)
    held = inbound(inbox_b, address="+49 170 1234567").conversation
    assignment.assign_to_me(held, actor=erik)

    response = post(client_for(bob), jana, inbox_b, channel="whatsapp")

    assert response.status_code == 200
    new = Conversation.objects.exclude(pk=held.pk).get()
    assert (new.inbox, new.channel, new.assignee) == (inbox_b, "whatsapp", bob)
    assert new.inbox_channel.address == "+4940222222"
    assert new.events.filter(kind=ConversationEvent.Kind.ASSIGNED).exists()
    assert held.messages.count() == 1


def test_the_form_offers_the_contacts_addresses_and_only_configured_channels(
    client_for, alice, inbox_a, inbox_b, jana
):
    page = client_for(alice).get(contact_send_url(jana), headers=HX).content.decode()

    assert page.lstrip().startswith('<section id="contact-send"')
    assert f'<option value="{JANA_PHONE}" selected>+49 170 1234567 (Phone)</option>' in page
    assert '<option value="jana@berg.example"' in page
    assert '<option value="sms" selected>SMS</option>' in page
    # WhatsApp is set up only in Bob's inbox, so Alice is not offered it.
    assert '<option value="whatsapp"' not in page
    # One inbox can send SMS: it is chosen already.
    assert f'<option value="{inbox_a.pk}" selected>Kundenservice</option>' in page
    assert "Vertrieb" not in page
    assert 'data-insert-variable="{{ contact.first_name | default: &quot;&quot; }}"' in page


def test_an_address_no_configured_channel_reaches_is_not_offered(client_for, alice, jana):
    inbox = inbox_with("Nur E-Mail", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="email", address="mail@nordlicht.example")

    page = client_for(alice).get(contact_send_url(jana), headers=HX).content.decode()

    assert f'value="{JANA_PHONE}"' not in page
    assert '<option value="email" selected>E-mail</option>' in page
    assert 'name="subject"' in page


def test_picking_another_address_narrows_the_choices_and_keeps_the_text(
    client_for, alice, inbox_a, jana
):
    response = post(
        client_for(alice), jana, inbox_a, address="jana@berg.example", refresh="1", body="Hallo"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="email" selected>E-mail</option>' in page
    assert '<option value="sms"' not in page
    assert ">Hallo</textarea>" in page
    assert not Message.objects.exists()


def test_without_any_channel_the_form_says_so_and_managers_get_a_link(
    client_for, alice, max_manager, jana
):
    inbox_with("Leer", members=[alice], managers=[max_manager])
    settings_url = reverse("inbox_settings:inboxes")

    for user, link in ((alice, False), (max_manager, True)):
        page = client_for(user).get(contact_send_url(jana), headers=HX).content.decode()
        assert "No inbox you work in has a phone number or e-mail address" in page
        assert (settings_url in page) is link
        assert 'type="submit"' not in page


def test_a_blocked_contact_is_explained_and_refused(client_for, alice, ada, inbox_a, jana):
    block_contact(jana, reason="Beleidigungen", actor=ada)
    client = client_for(alice)

    page = client.get(contact_send_url(jana), headers=HX).content.decode()
    assert "This contact is blocked, so nothing can be sent to it." in page
    assert "Beleidigungen" in page
    assert 'type="submit"' not in page

    response = post(client, jana, inbox_a)
    assert response.status_code == 422
    assert "This contact is blocked" in response.content.decode()
    assert not Message.objects.exists() and not locmem.outbox
    with pytest.raises(ActionRefused, match="blocked"):
        send_to_contact(alice, jana, inbox=inbox_a, channel="sms", address=JANA_PHONE, body="Hi")


def test_an_address_of_another_contact_is_refused(client_for, alice, inbox_a, jana):
    other = ContactFactory()
    identity(other, "phone", "+49 170 9999999")

    response = post(client_for(alice), jana, inbox_a, address="+491709999999")

    assert response.status_code == 422
    assert "Choose one of this contact&#x27;s numbers or addresses." in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        send_to_contact(
            alice, jana, inbox=inbox_a, channel="sms", address="+491709999999", body="Hi"
        )
    assert "address" in refused.value.message_dict
    # An e-mail address does not fit the SMS channel.
    with pytest.raises(ValidationError):
        send_to_contact(
            alice, jana, inbox=inbox_a, channel="sms", address="jana@berg.example", body="Hi"
        )
    assert not Message.objects.exists() and not locmem.outbox


def test_an_inbox_the_user_is_not_in_is_refused(client_for, alice, inbox_a, inbox_b, jana):
    response = post(client_for(alice), jana, inbox_b)

    assert response.status_code == 422
    assert "Choose an inbox you work in" in response.content.decode()
    with pytest.raises(PermissionDenied):
        send_to_contact(alice, jana, inbox=inbox_b, channel="sms", address=JANA_PHONE, body="Hi")
    assert not Message.objects.exists() and not locmem.outbox


def test_an_inbox_without_that_channel_is_refused(alice, inbox_a, jana):
    with pytest.raises(ActionRefused, match="no WhatsApp number"):
        send_to_contact(
            alice, jana, inbox=inbox_a, channel="whatsapp", address=JANA_PHONE, body="Hi"
        )


def test_a_double_submit_sends_one_message(client_for, alice, inbox_a, jana):
    client = client_for(alice)
    client_id = str(uuid.uuid4())

    first = post(client, jana, inbox_a, client_id=client_id)
    second = post(client, jana, inbox_a, client_id=client_id)

    assert first.status_code == second.status_code == 200
    assert Message.objects.count() == 1 and len(locmem.outbox) == 1
    number = Conversation.objects.get().number
    assert f"Open conversation #{number}" in second.content.decode()


@pytest.mark.parametrize(
    ("body", "error"), [("   ", "Write a message first."), ("x" * 50_001, "at most 50000")]
)
def test_an_empty_or_too_long_text_is_refused(client_for, alice, inbox_a, jana, body, error):
    response = post(client_for(alice), jana, inbox_a, body=body)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Message.objects.exists()
    with pytest.raises(ValidationError):
        send_to_contact(alice, jana, inbox=inbox_a, channel="sms", address=JANA_PHONE, body=body)


def test_without_javascript_the_form_is_a_page_and_sending_opens_the_conversation(
    client_for, alice, inbox_a, jana
):
    page = client_for(alice).get(contact_send_url(jana)).content.decode()
    assert "<html" in page and 'id="contact-send"' in page

    response = post(client_for(alice), jana, inbox_a, htmx=False)

    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("inbox:conversation", args=[conversation.pk])


def test_an_email_starts_a_conversation_with_its_subject(client_for, alice, inbox_a, jana):
    response = post(
        client_for(alice),
        jana,
        inbox_a,
        address="jana@berg.example",
        channel="email",
        subject="Ihre Bestellung bei {company_name}",
    )

    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.address) == ("email", "jana@berg.example")
    assert conversation.subject == "Ihre Bestellung bei Nordlicht GmbH"
    assert conversation.inbox_channel.address == "service@nordlicht.example"
    assert conversation.messages.get().status != DeliveryStatus.RECEIVED


def test_the_contact_panel_offers_send_message_and_call(client_for, alice, inbox_a, jana):
    identity(jana, "whatsapp", "+49 170 1234567")  # the same number once more: one Call
    page = client_for(alice).get(reverse("contacts:detail", args=[jana.pk])).content.decode()

    assert f'hx-get="{contact_send_url(jana)}"' in page and "Send message" in page
    # One Call button for the number (the attributes list links the number as well).
    assert page.count(f'class="btn btn-sm" href="tel:{JANA_PHONE}"') == 1
    assert "Call +49 170 1234567" in page
    assert '<div id="contact-send" class="panel-slot"></div>' in page


def test_the_contact_panel_of_the_workspace_offers_them_too(client_for, alice, inbox_a, jana):
    conversation = inbound(inbox_a, address="+49 170 1234567").conversation

    page = (
        client_for(alice)
        .get(reverse("inbox:conversation", args=[conversation.pk]))
        .content.decode()
    )

    assert f'hx-get="{contact_send_url(jana)}"' in page
    assert "Call +49 170 1234567" in page


def test_someone_in_no_inbox_sees_no_send_button_and_cannot_send(client_for, jana, inbox_a):
    outsider = UserFactory()
    client = client_for(outsider)

    page = client.get(reverse("contacts:detail", args=[jana.pk])).content.decode()
    assert contact_send_url(jana) not in page
    assert "Call +49 170 1234567" in page

    response = post(client, jana, inbox_a)
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_a_contact_the_user_cannot_see_is_404(client_for, alice, ada, inbox_a, jana):
    from contacts.merging import merge_contacts

    survivor = ContactFactory(kind="curated")
    merge_contacts(survivor=survivor, absorbed=jana, choices={}, actor=ada)
    client = client_for(alice)

    assert client.get(contact_send_url(jana), headers=HX).status_code == 404
    assert post(client, jana, inbox_a).status_code == 404
    missing = reverse("inbox:contact_send", args=[Contact.objects.order_by("-pk")[0].pk + 1])
    assert client.get(missing).status_code == 404
    assert not Message.objects.exists()


def test_close_puts_the_empty_slot_back(client_for, alice, jana):
    client = client_for(alice)

    closed = client.get(contact_send_url(jana), {"closed": "1"}, headers=HX)
    page = client.get(contact_send_url(jana), {"closed": "1"})

    assert closed.content.decode().strip() == '<div id="contact-send" class="panel-slot"></div>'
    assert page.status_code == 302 and page.url == reverse("contacts:detail", args=[jana.pk])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and concurrent connections need PostgreSQL"
)
def test_concurrent_submits_send_once_and_make_one_conversation(transactional_db, alice, jana):
    from tests.test_inbox_races import at_once

    inbox = inbox_with("Kundenservice", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4940111111")
    client_id = uuid.uuid4()

    def send(client_id=client_id, body="Einmal, bitte."):
        return send_to_contact(
            alice,
            jana,
            inbox=inbox,
            channel="sms",
            address=JANA_PHONE,
            body=body,
            client_id=client_id,
        )

    results = at_once(send, send, send, lambda: send(uuid.uuid4(), "Noch etwas."))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.message.pk for r in results[:3]}) == 1
    assert Conversation.objects.count() == 1
    assert sorted(Message.objects.values_list("body", flat=True)) == [
        "Einmal, bitte.",
        "Noch etwas.",
    ]
