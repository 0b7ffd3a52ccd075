"""The inbox's part in deleting or anonymising a contact (registered in InboxConfig.ready)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from contacts.models import Contact
from inbox.models import Attachment, Comment, ErasurePermit, Message


@contextmanager
def erase_conversations(contact: Contact, purpose: str) -> Iterator[None]:
    """Open the append-only guard for this transaction and clear files and texts.

    Deleting: the contact's conversations, messages and comments go with it (cascade);
    attachment files are removed from storage once the transaction has committed.
    Anonymising: message and comment texts are replaced and attachments removed; the rows
    stay, so counts and timelines remain for reports.
    """
    permit = ErasurePermit.objects.create()
    attachments = list(Attachment.objects.filter(message__conversation__contact=contact))
    try:
        if purpose == "anonymise":
            messages = Message.objects.filter(conversation__contact=contact)
            messages.update(body="[removed]", html="")
            Comment.objects.filter(conversation__contact=contact).update(body="[removed]")
            Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        yield
    finally:
        permit.delete()
    files = [(a.file.storage, a.file.name) for a in attachments if a.file]
    transaction.on_commit(lambda: _delete_files(files))


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        storage.delete(name)
