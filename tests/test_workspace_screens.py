"""The workspace's screens over HTTP (issue 11, "Screens"): the card's "Send message" opened
from a conversation preselects its address, channel and inbox; managers of an open inbox are
offered no assignment, with the reason; the panel's "Create new contact" is a real button."""

import re

import pytest
from django.urls import reverse

from contacts.models import Note
from inbox.models import Conversation, InboxChannel
from tests.factories import ContactFactory, identity, inbound, inbox_with

HX = {"HX-Request": "true"}


@pytest.fixture
def jana(organisation):
    contact = ContactFactory(first_name="Jana", last_name="Berg")
    identity(contact, "phone", "+49 170 1234567")
    identity(contact, "email", "jana@berg.example")
    return contact


@pytest.fixture
def inboxes(alice, max_manager, bob):
    service = inbox_with("Kundenservice", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=service, kind="sms", address="+4940111111")
    InboxChannel.objects.create(inbox=service, kind="email", address="service@nordlicht.example")
    billing = inbox_with("Buchhaltung", "assignment", members=[alice], managers=[max_manager])
    InboxChannel.objects.create(inbox=billing, kind="email", address="rechnung@nordlicht.example")
    other = inbox_with("Vertrieb", members=[bob])
    return service, billing, other


def selected(html, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    match = re.search(r'<option value="([^"]*)" selected', select)
    return match.group(1) if match else None


def send_form(client, contact, **query):
    url = reverse("inbox:contact_send", args=[contact.pk])
    return client.get(url, query, headers=HX)


def test_send_message_from_a_conversation_preselects_its_address_channel_and_inbox(
    client_for, alice, inboxes, jana
):
    _service, billing, _other = inboxes
    conversation = inbound(billing, address="jana@berg.example", channel="email").conversation
    assert conversation.contact == jana
    client = client_for(alice)

    html = send_form(client, jana, conversation=conversation.pk).content.decode()

    assert selected(html, "address") == "jana@berg.example"
    assert selected(html, "channel") == "email"
    assert selected(html, "inbox") == str(billing.pk)
    # Opened from the contact page instead: the phone number by SMS, the inbox left to choose.
    plain = send_form(client, jana).content.decode()
    assert (selected(plain, "address"), selected(plain, "channel")) == ("+491701234567", "sms")


def test_the_panels_send_message_carries_the_open_conversation(client_for, alice, inboxes, jana):
    _service, billing, _other = inboxes
    conversation = inbound(billing, address="jana@berg.example", channel="email").conversation

    page = client_for(alice).get(reverse("inbox:conversation", args=[conversation.pk]))

    html = page.content.decode()
    send_url = reverse("inbox:contact_send", args=[jana.pk])
    assert f'href="{send_url}?conversation={conversation.pk}"' in html
    assert 'hx-include="#open-conversation"' in html
    assert f'id="open-conversation" name="conversation" value="{conversation.pk}"' in html


def test_preselecting_ignores_bad_ids_and_other_contacts_and_hides_other_inboxes(
    client_for, alice, bob, inboxes, jana
):
    service, billing, other = inboxes
    conversation = inbound(billing, address="jana@berg.example", channel="email").conversation
    someone = inbound(service, address="+49 170 9999999").conversation
    client = client_for(alice)

    for value in ["abc", "", "-1", str(someone.pk)]:
        response = send_form(client, jana, conversation=value)
        assert response.status_code == 200
        assert selected(response.content.decode(), "channel") == "sms"
    # Bob may not see the conversation: 404, as for any id of another inbox.
    bobs_contact = ContactFactory(first_name="Jana")
    assert send_form(client_for(bob), bobs_contact, conversation=conversation.pk).status_code == 404
    assert other.pk  # Bob's own inbox exists, so the 404 is about the conversation


def test_managers_of_an_open_inbox_are_offered_no_assignment_with_the_reason(
    client_for, max_manager, inboxes
):
    service, billing, _other = inboxes
    open_one = inbound(service, address="+49 170 2222222").conversation
    assigned_one = inbound(billing, address="+49 170 3333333").conversation
    client = client_for(max_manager)

    html = client.get(reverse("inbox:conversation", args=[open_one.pk])).content.decode()
    header = html[html.index('id="conversation-header"') : html.index('id="thread-messages"')]
    assert "Open inbox: everyone answers" in header
    assert "nobody owns a conversation, so there is nothing to assign" in header
    assert "Assign to me" not in header and 'class="assign-form"' not in header

    html = client.get(reverse("inbox:conversation", args=[assigned_one.pk])).content.decode()
    header = html[html.index('id="conversation-header"') : html.index('id="thread-messages"')]
    assert "Assign to me" in header and 'class="assign-form"' in header
    assert "Unassigned" in header


def test_the_header_has_a_way_back_to_the_list_and_the_contact_panel_toggle(
    client_for, alice, inboxes
):
    service, _billing, _other = inboxes
    conversation = inbound(service).conversation

    html = (
        client_for(alice)
        .get(reverse("inbox:conversation", args=[conversation.pk]), {"view": "mine"})
        .content.decode()
    )

    assert re.search(r'<a class="[^"]*thread-back"[^>]*href="/inbox/\?view=mine"', html)
    toggle = re.search(r"<button[^>]*data-panel-toggle[^>]*>", html).group(0)
    assert 'aria-controls="contact-panel-pane"' in toggle and "(c)" in toggle
    assert "<kbd>c</kbd>" in html  # in the shortcuts help


def test_create_new_contact_without_javascript_asks_for_the_form_open(client_for, alice, inboxes):
    service, _billing, _other = inboxes
    conversation = inbound(service, address="+49 170 4444444").conversation
    Conversation.objects.filter(pk=conversation.pk).update(contact=None, contact_state="unlinked")
    url = reverse("inbox:conversation", args=[conversation.pk])
    client = client_for(alice)

    html = client.get(url).content.decode()
    opener = re.search(r'<form class="create-contact-open" method="get" action="([^"]+)">', html)
    assert opener and opener.group(1) == url
    assert re.search(r'<button type="submit" class="btn btn-sm" data-disclose="create-', html)
    assert re.search(rf'id="create-contact-{conversation.pk}"[^>]* hidden>', html)

    html = client.get(url, {"create_contact": "1"}).content.decode()
    assert re.search(rf'id="create-contact-{conversation.pk}"[^>]*aria-label="[^"]*">', html)
    assert '<form class="create-contact-open" method="get"' in html and " hidden>" in html
    assert 'data-disclose-close="create-contact-' in html and ">Cancel</button>" in html


def test_the_note_box_comes_before_the_notes(client_for, alice, jana):
    for number in range(3):
        Note.objects.create(contact=jana, author=alice, body=f"Notiz {number}")

    html = client_for(alice).get(reverse("contacts:detail", args=[jana.pk])).content.decode()

    assert html.index('class="note-form"') < html.index('class="note"')
