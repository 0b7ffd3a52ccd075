"""Anonymising and deleting a contact leave no identifier of the person anywhere in the
database: every text, varchar and JSON column of every table is read back and searched for
the name, the phone number (E.164 and national forms) and the e-mail address."""

import json

import phonenumbers
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts.actions import add_note, block_contact, claim_identity, create_contact, edit_note
from contacts.models import Contact, ContactEvent, DeletedContact
from inbox import actions
from inbox.actions import IncomingFile, linking
from inbox.models import Conversation, ConversationEvent, InboundEvent, Message
from tests.factories import inbound, inbox_with

FIRST, LAST = "Quirinus", "Zwetschgenbaum"
PHONE = "+49 170 5550123"
EMAIL = "quirinus.zwetschgenbaum@example.org"


def phone_forms(number):
    """E.164, international and national forms, with and without spaces."""
    parsed = phonenumbers.parse(number, None)
    national = str(parsed.national_number)
    formats = (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    return {phonenumbers.format_number(parsed, f) for f in formats} | {national, "0" + national}


NEEDLES = {FIRST, LAST, EMAIL, *phone_forms(PHONE)}
# Column types that hold text; anything the introspection cannot name is read too.
TEXT_TYPES = {
    "CharField",
    "TextField",
    "JSONField",
    "EmailField",
    "SlugField",
    "URLField",
    "FileField",
    "FilePathField",
}


def text_columns(cursor):
    introspection = connection.introspection
    for table in introspection.table_names(cursor):
        for column in introspection.get_table_description(cursor, table):
            try:
                kind = introspection.get_field_type(column.type_code, column)
            except KeyError:
                kind = None
            if kind is None or kind in TEXT_TYPES:
                yield table, column.name


def traces_in_database():
    """(table, column, needle, value) for every stored value that names the person."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = list(text_columns(cursor))
        assert ("inbox_message", "html") in columns and ("inbox_inboundevent", "payload") in columns
        for table, column in columns:
            # Names from the introspection, quoted by the backend: no user input here.
            sql = f"SELECT CAST({quote(column)} AS TEXT) FROM {quote(table)}"  # noqa: S608
            cursor.execute(f"{sql} WHERE {quote(column)} IS NOT NULL")
            for (value,) in cursor.fetchall():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for needle in NEEDLES:
                    if needle.lower() in text.lower():
                        found.append((table, column, needle, text[:120]))
    return found


def assert_no_traces():
    found = sorted(
        {f"{table}.{column} holds {needle!r}" for table, column, needle, _v in traces_in_database()}
    )
    assert not found, "personal data left behind:\n" + "\n".join(found)


@pytest.fixture
def quirinus(ada, alice, settings, tmp_path):
    """A contact whose name, number and address are everywhere: profile, notes, the reason
        for blocking, SMS and e-mail conversations (subjects, previews, bodies, e-mail HTML,
        attachment names, Message-IDs, agents' replies, comments, events, a provider's error),
        an unlinked conversation from their number, inbound forms no inbox took, and the history
    of another contact who had their WhatsApp number before."""
    settings.MEDIA_ROOT = tmp_path
    inbox = inbox_with("Service", members=[alice])
    contact = create_contact(
        actor=ada,
        first_name=FIRST,
        last_name=LAST,
        company=f"{LAST} Obstbau",
        identities=[("phone", PHONE), ("email", EMAIL)],
    )
    # The WhatsApp number was first stored with someone else, who keeps a history of it.
    other = create_contact(actor=ada, first_name="Berta", identities=[("whatsapp", PHONE)])
    claim_identity(contact, identity=other.identities.get(), actor=alice)
    Contact.objects.filter(pk=contact.pk).update(
        remarks=f"Ruft als {FIRST} an", attributes={"nickname": FIRST}
    )
    note = add_note(contact, body=f"{FIRST} {LAST} mag keine Anrufe", author=alice)
    edit_note(note, body=f"{FIRST} mag keine Anrufe nach 18 Uhr", actor=alice)

    sms = inbound(inbox, address=PHONE, body=f"Hier {FIRST} {LAST}, bitte an 0170 5550123")
    actions.reply(sms.conversation, body=f"Hallo Herr {LAST}, wir rufen an.", actor=alice)
    actions.add_comment(sms.conversation, body=f"{FIRST} ist Stammkunde", actor=alice)
    Message.objects.filter(conversation=sms.conversation, direction="out").update(
        status="failed", error="Twilio error 21211: Invalid 'To' number +491705550123"
    )
    ConversationEvent.objects.create(
        conversation=sms.conversation,
        kind=ConversationEvent.Kind.CONTACT_LINKED,
        data={"contact": contact.pk, "name": f"{FIRST} {LAST}", "address": EMAIL},
    )

    inbound(
        inbox,
        channel="email",
        address=EMAIL,
        subject=f"Frage von {FIRST} {LAST}",
        body=f"Viele Grüße\n{FIRST} {LAST}\n{EMAIL}",
        html=f"<p>Viele Grüße<br>{FIRST} {LAST}<br><a href='mailto:{EMAIL}'>{EMAIL}</a></p>",
        provider_message_id=f"20240301.{LAST.lower()}@example.org",
        new_thread=True,
        attachments=[IncomingFile(f"Vertrag_{LAST}.pdf", "application/pdf", b"%PDF-1.4")],
    )

    unlinked = inbound(inbox, address=PHONE, body="Hallo?", new_thread=True).conversation
    Conversation.objects.filter(pk=unlinked.pk).update(status="resolved")
    linking.unlink_contact(unlinked, actor=alice)

    for sender in ("+491705550123", "whatsapp:+491705550123"):
        InboundEvent.objects.create(
            provider="twilio",
            event_id=f"SM{len(sender)}",
            payload={"From": sender, "To": "+49409999999", "Body": f"{FIRST} hier"},
            processed_at=timezone.now(),
            error="No inbox owns sms +49409999999",
        )
    block_contact(contact, reason=f"{FIRST} {LAST} beleidigt das Team", actor=alice)
    assert traces_in_database(), "the fixture should leave traces before the erasure"
    return contact


def test_anonymising_leaves_no_identifier_in_any_column_of_any_table(client_for, ada, quirinus):
    response = client_for(ada).post(reverse("contacts:anonymise", args=[quirinus.pk]))

    assert response.status_code == 302
    assert_no_traces()
    # What remains: the rows, for counts and timelines.
    assert Contact.objects.filter(pk=quirinus.pk, anonymised_at__isnull=False).exists()
    assert Conversation.objects.filter(contact=quirinus).count() == 2
    assert Message.objects.filter(conversation__contact=quirinus).count() == 3
    assert ContactEvent.objects.filter(contact=quirinus, kind="anonymised").exists()


def test_deleting_leaves_no_identifier_in_any_column_of_any_table(client_for, ada, quirinus):
    response = client_for(ada).post(reverse("contacts:delete", args=[quirinus.pk]))

    assert response.status_code == 302
    assert_no_traces()
    assert not Contact.objects.filter(pk=quirinus.pk).exists()
    record = DeletedContact.objects.get()
    assert record.hint == "Q*** Z***, q***@***.org, +49 *** **23"
