"""Opt-outs seen from a conversation: an agent's one click on a message that asks to stop
("bitte keine SMS mehr", inbox.optout_hint), and the provider's refusal of a message because
the recipient unsubscribed (Twilio 21610, from inbox.delivery).

The row itself is a contacts.consent.OptOut, written by contacts.consent_actions (inbox may
import contacts); the thread gets a ConversationEvent beside it. Campaign recipients waiting
to be sent are not touched here — inbox cannot import campaigns — but every campaign claim
checks the opt-out again (contacts.consent.opted_out), so the row alone stops them.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.consent import OptOut, OptOutSource, identity_for_channel
from contacts.consent_actions import PROVIDER_OPT_OUT_CODES, record_opt_out, record_provider_opt_out
from inbox.access import rights_in
from inbox.models import Conversation, ConversationEvent, Direction, Message
from lib.errors import ActionRefused


@transaction.atomic
def mark_opted_out(message: Message, *, actor: User) -> OptOut:
    """The agent records that the sender of the inbound `message` wants no more campaign
    messages on its channel, now, with the message as the evidence.

    Refused with PermissionDenied unless `actor` works in the conversation's inbox (seeing
    all inboxes is not enough), and with ActionRefused for an outbound message, a sender
    with no identity on the channel, or one already opted out."""
    conversation = Conversation.objects.select_related("inbox", "contact", "identity").get(
        pk=message.conversation_id
    )
    if rights_in(actor, conversation).role is None:
        raise PermissionDenied
    if message.direction != Direction.INBOUND:
        raise ActionRefused(_("Only a customer's message can be an opt-out."))
    identity = identity_for_channel(
        conversation.channel, conversation.address, fallback=conversation.identity
    )
    if identity is None:
        raise ActionRefused(_("Link the conversation to a contact first."))
    if OptOut.objects.is_opted_out(identity.pk, conversation.channel):
        raise ActionRefused(_("This contact has opted out already."))
    row = record_opt_out(
        identity,
        channel=conversation.channel,
        source=OptOutSource.AGENT,
        actor=actor,
        message_id=message.pk,
        reason=_("Marked from the conversation #%(number)s") % {"number": conversation.number},
    )
    if row is None:
        raise ActionRefused(_("This message was recorded as an opt-out already."))
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.OPTED_OUT,
        actor=actor,
        source=OptOutSource.AGENT,
        channel=conversation.channel,
        message=message.pk,
        opt_out=row.pk,
    )
    conversation.touch()
    return row


def record_refusal_opt_out(message: Message, code: str) -> OptOut | None:
    """The provider refused `message` with `code`: when that code means the recipient
    unsubscribed (Twilio 21610), record the provider's opt-out and an event in the thread.
    Called by inbox.delivery inside the transaction that marks the message failed; nothing
    for any other code, or when the recipient is opted out already."""
    if code not in PROVIDER_OPT_OUT_CODES:
        return None
    conversation = Conversation.objects.select_related("identity").get(pk=message.conversation_id)
    row = record_provider_opt_out(
        channel=conversation.channel,
        address=conversation.address,
        code=code,
        identity=conversation.identity,
    )
    if row is not None:
        ConversationEvent.objects.record(
            conversation,
            ConversationEvent.Kind.OPTED_OUT,
            source=OptOutSource.PROVIDER,
            channel=conversation.channel,
            message=message.pk,
            opt_out=row.pk,
            code=code,
        )
    return row
