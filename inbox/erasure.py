"""The inbox's part in deleting or anonymising a contact (registered in InboxConfig.ready)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.identities import PHONE_KINDS
from contacts.models import Contact
from inbox.models import (
    Attachment,
    Channel,
    Comment,
    Conversation,
    ConversationEvent,
    ErasurePermit,
    InboundEvent,
    Message,
)


@contextmanager
def erase_conversations(contact: Contact, purpose: str) -> Iterator[None]:
    """Open the append-only guard for this transaction and clear files and texts.

    Deleting: the contact's conversations, messages and comments go with it (cascade);
    attachment files are removed from storage once the transaction has committed.
    Anonymising: every text that can name the person is replaced — the conversations'
    address, subject and preview, message texts, e-mail HTML, provider errors and
    Message-IDs, comments, event data — and attachments are removed; the rows stay, so
    counts and timelines remain for reports.

    Either way the contact's addresses leave the inbox: conversations from them that no
    contact holds (unlinked, or waiting for an agent to pick a contact) keep their texts,
    which an agent judged to be someone else's, but lose the address; and inbound provider
    forms from them that never became a message are deleted. Runs while the contact's
    identities still exist.
    """
    permit = ErasurePermit.objects.create()
    addresses = _addresses(contact)
    attachments = list(Attachment.objects.filter(message__conversation__contact=contact))
    try:
        if purpose == "anonymise":
            _anonymise(contact, attachments)
        Conversation.objects.filter(contact__isnull=True, address__in=addresses).update(
            address="", updated_at=timezone.now()
        )
        InboundEvent.objects.filter(payload__From__in=addresses).delete()
        yield
    finally:
        permit.delete()
    files = [(a.file.storage, a.file.name) for a in attachments if a.file]
    transaction.on_commit(lambda: _delete_files(files))


def _anonymise(contact: Contact, attachments: list[Attachment]) -> None:
    removed = _("[removed when the contact was anonymised]")
    Conversation.objects.filter(contact=contact).update(
        address="", subject="", last_message_preview="", updated_at=timezone.now()
    )
    messages = Message.objects.filter(conversation__contact=contact)
    messages.update(body=removed, html="", error="")
    # A Message-ID may carry the sender's name or domain, and a reply quoting it would thread
    # into the anonymised conversation; a placeholder unique per message replaces it.
    messages.filter(conversation__channel=Channel.EMAIL, provider_message_id__isnull=False).update(
        provider_message_id=Concat(
            models.Value("erased:"),
            Cast("pk", output_field=models.CharField()),
            output_field=models.CharField(),
        )
    )
    Comment.objects.filter(conversation__contact=contact).update(body=removed)
    ConversationEvent.objects.filter(conversation__contact=contact).update(data={})
    InboundEvent.objects.filter(message__conversation__contact=contact).update(payload={})
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()


def _addresses(contact: Contact) -> list[str]:
    """The contact's addresses as conversations and stored inbound events (Twilio's forms, e-mails)
    spell them."""
    addresses = []
    for kind, normalised in contact.identities.values_list("kind", "normalised"):
        addresses.append(normalised)
        if kind in PHONE_KINDS:
            addresses.append(f"whatsapp:{normalised}")
    return addresses


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        storage.delete(name)
