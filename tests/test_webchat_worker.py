"""The widget path end to end with a real Celery worker: a visitor writes, the agent answers
through the one outbound path, the worker "sends" (keeps it for the widget), the widget
fetches it (delivered); and when the visitor has left an e-mail address and gone, the
worker sends the reply by e-mail instead. Also the visitor's part in export and erasure."""

import json
import time
import uuid

import pytest
from django.core import mail
from django.db import OperationalError

from contacts import actions as contact_actions
from inbox.models import Conversation, DeliveryStatus, Direction, InboxChannel, Message
from tests.factories import inbox_with
from tests.webchat_helpers import Visitor, host_token, make_widget
from webchat.models import WebVisitor


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:  # SQLite's shared in-memory tables, locked by the worker
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def widget(transactional_db, alice):
    inbox = inbox_with("Kundenservice", members=[alice])
    InboxChannel.objects.create(inbox=inbox, kind="email", address="service@nordlicht.example")
    return make_widget(inbox)


def agent_reply(client, conversation, body):
    answer = client.post(f"/inbox/c/{conversation.pk}/reply/", {"body": body})
    assert answer.status_code in (200, 302)
    return Message.objects.filter(direction=Direction.OUTBOUND).latest("id")


@pytest.mark.worker
def test_a_visitor_writes_the_agent_replies_and_the_widget_fetches_it(
    celery_worker, widget, alice, client_for
):
    visitor = Visitor(widget)
    assert visitor.send("Wo ist meine Bestellung 4711?").status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.channel == "web"
    agent = client_for(alice)
    assert "Bestellung 4711" in agent.get(f"/inbox/c/{conversation.pk}/").text

    message = agent_reply(agent, conversation, "Sie ist unterwegs und kommt morgen.")

    assert wait_for(lambda: Message.objects.get(pk=message.pk).status == DeliveryStatus.SENT)
    assert Message.objects.get(pk=message.pk).provider == "web"
    answer = visitor.poll()
    assert "kommt morgen" in answer.text
    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.DELIVERED
    assert mail.outbox == []


@pytest.mark.worker
def test_a_gone_visitor_who_left_an_address_gets_the_reply_by_email(
    celery_worker, widget, alice, client_for, settings
):
    visitor = Visitor(widget)
    visitor.send("Ist jemand da?")
    visitor.leave_email("kunde@example.org")
    # A minute without a request from the widget (a fresh rate-limit window): gone.
    settings.RATE_LIMIT_NAMESPACE = f"a-minute-later-{uuid.uuid4().hex}"
    conversation = Conversation.objects.get()

    message = agent_reply(client_for(alice), conversation, "Entschuldigung, jetzt sind wir da.")

    assert wait_for(lambda: len(mail.outbox) == 1), "the worker sent no e-mail"
    email = mail.outbox[0]
    assert email.to == ["kunde@example.org"]
    assert "jetzt sind wir da" in email.body
    stored = Message.objects.get(pk=message.pk)
    assert (stored.status, stored.provider) == (DeliveryStatus.SENT, "email")
    # The conversation stays the web chat it was.
    assert Conversation.objects.get().channel == "web"


@pytest.mark.worker
def test_a_present_visitor_gets_the_reply_in_the_widget_even_with_an_address(
    celery_worker, widget, alice, client_for
):
    visitor = Visitor(widget)
    visitor.send("Ist jemand da?")
    visitor.leave_email("kunde@example.org")
    visitor.poll()  # the widget is open

    message = agent_reply(client_for(alice), Conversation.objects.get(), "Ja, hier!")

    assert wait_for(lambda: Message.objects.get(pk=message.pk).status == DeliveryStatus.SENT)
    assert Message.objects.get(pk=message.pk).provider == "web"
    assert mail.outbox == []


def test_the_visitor_is_in_the_contacts_export_and_leaves_with_its_deletion(
    widget, ada, client_for
):
    visitor = Visitor(widget)
    visitor.identify(host_token(sub="u-5", email="ida@example.org"))
    visitor.send("Meine Frage")
    visitor.leave_email("ida@example.org")
    contact = Conversation.objects.get().contact

    export = client_for(ada).get(f"/contacts/{contact.pk}/export.json")
    assert export.status_code == 200
    document = json.loads(
        b"".join(export.streaming_content) if export.streaming else export.content
    )
    [row] = document["web_visitors"]
    assert row["signed_in_as"] == "u-5" and row["email_left"] == "ida@example.org"

    contact_actions.delete_contact(contact, actor=ada)

    assert not WebVisitor.objects.exists()
    assert not Message.objects.exists()
    # The same browser starts again as a new, unknown visitor.
    assert "Meine Frage" not in visitor.poll().text


def test_anonymising_the_contact_forgets_its_visitors(widget, ada):
    visitor = Visitor(widget)
    visitor.send("Hallo")
    contact = Conversation.objects.get().contact

    contact_actions.anonymise_contact(contact, actor=ada)

    assert not WebVisitor.objects.exists()
