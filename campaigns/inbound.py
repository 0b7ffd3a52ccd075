"""What a customer's answer does to campaigns: opt-out, re-subscribe and help keywords.

`on_inbound(message)` runs for every newly stored inbound message (registered in
CampaignsConfig.ready through inbox.hooks, inside the transaction that stores the message).
Only a message that is nothing but one of the inbox's keywords counts ("Stop!", " ende ");
free text that merely sounds like one ("bitte keine SMS mehr") is left to the agent, who gets
a one-click "Mark as opted out" in the thread (inbox.optout_hint).

- opt-out: an OptOut row (contacts.consent_actions), the campaign it answers marked, the
  identity's waiting recipients of running campaigns skipped, an event in the thread, and —
  when the inbox confirms opt-outs — one confirmation in the contact's language;
- opt-in: an OptOut row with action "in" and an event;
- help: the help text as a reply.

Exactly once per message: a replayed webhook stores no new message (so this never runs for
it), and the OptOut row is unique per message besides. A STOP processed after a START the
customer sent later (out of order) is recorded, but confirms nothing and skips nobody: the
START is the customer's last word.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings

from accounts.models import Organisation
from campaigns.keywords import (
    DEFAULT_CONFIRMATIONS,
    DEFAULT_HELP,
    KeywordMatch,
    match_keyword,
)
from campaigns.models import (
    CampaignRecipient,
    CampaignSettings,
    CampaignStatus,
    KeywordAction,
    RecipientStatus,
    SkipReason,
)
from contacts.consent import OptOut, OptOutSource, identity_for_channel
from contacts.consent_actions import record_opt_in, record_opt_out
from contacts.models import Identity
from inbox.actions import queue_outbound
from inbox.models import Conversation, ConversationEvent, Direction, Message
from inbox.variables import TemplateError, message_context, render_message

logger = logging.getLogger("switchboard.campaigns")

# A STOP answers the campaign message the identity received within this time before it.
ANSWERS_WITHIN = timedelta(hours=72)
LANGUAGES = ("en", "de", "sv")


def on_inbounds(messages: list[Message]) -> None:
    """on_inbound for a batch of newly stored messages (inbox.hooks' batch form): only the
    messages that are a keyword cost anything more than the check."""
    for message in messages:
        if message.direction == Direction.INBOUND and match_keyword(
            message.conversation.inbox, message.body
        ):
            on_inbound(message)


def on_inbound(message: Message) -> None:
    """Act on `message` when it is one of its inbox's keywords (see the module docstring)."""
    if message.direction != Direction.INBOUND:
        return
    conversation = message.conversation
    match = match_keyword(conversation.inbox, message.body)
    if match is None:
        return
    identity = identity_for_channel(
        conversation.channel, conversation.address, fallback=conversation.identity
    )
    if identity is None:
        # Several contacts share the address and none holds it on this channel.
        logger.info("keyword %s in message %s: no identity to record it for", match, message.pk)
        return
    if match.action == KeywordAction.OPT_OUT:
        _opt_out(message, conversation, identity, match)
    elif match.action == KeywordAction.OPT_IN:
        _opt_in(message, conversation, identity, match)
    elif not conversation.is_blocked:
        settings = CampaignSettings.objects.for_inbox(conversation.inbox)
        _reply(conversation, identity, match, settings.help_texts, DEFAULT_HELP)


def _opt_out(
    message: Message, conversation: Conversation, identity: Identity, match: KeywordMatch
) -> None:
    channel, at = conversation.channel, message.created_at
    answered = (
        CampaignRecipient.objects.filter(
            identity=identity,
            campaign__channel=channel,
            sent_at__gte=at - ANSWERS_WITHIN,
            sent_at__lte=at,
        )
        .order_by("-sent_at", "-id")
        .first()
    )
    row = record_opt_out(
        identity,
        channel=channel,
        source=OptOutSource.KEYWORD,
        keyword=match.keyword,
        message_id=message.pk,
        campaign_id=answered.campaign_id if answered else None,
        at=at,
    )
    if row is None:
        return  # this message was handled already
    if answered is not None:
        CampaignRecipient.objects.filter(pk=answered.pk, opted_out_at__isnull=True).update(
            opted_out_at=at
        )
    latest = OptOut.objects.current(identity.pk, channel)
    is_last_word = latest is not None and latest.pk == row.pk
    skipped = 0
    if is_last_word:
        # Forward only: a recipient already claimed for sending is the claim's to settle
        # (it checks opt-outs again, contacts.consent.opted_out).
        skipped = CampaignRecipient.objects.filter(
            identity=identity,
            campaign__channel=channel,
            campaign__status__in=[CampaignStatus.SENDING, CampaignStatus.PAUSED],
            status__in=[RecipientStatus.PENDING, RecipientStatus.QUEUED],
        ).update(status=RecipientStatus.SKIPPED, skip_reason=SkipReason.OPTED_OUT)
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.OPTED_OUT,
        source=OptOutSource.KEYWORD,
        keyword=match.keyword,
        channel=channel,
        message=message.pk,
        opt_out=row.pk,
        campaign=row.campaign_id,
        skipped=skipped,
    )
    settings = CampaignSettings.objects.for_inbox(conversation.inbox)
    if is_last_word and settings.confirmation_enabled and not conversation.is_blocked:
        _reply(conversation, identity, match, settings.confirmation_texts, DEFAULT_CONFIRMATIONS)


def _opt_in(
    message: Message, conversation: Conversation, identity: Identity, match: KeywordMatch
) -> None:
    row = record_opt_in(
        identity,
        channel=conversation.channel,
        source=OptOutSource.KEYWORD,
        keyword=match.keyword,
        message_id=message.pk,
        at=message.created_at,
    )
    if row is None:
        return
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.OPTED_IN,
        source=OptOutSource.KEYWORD,
        keyword=match.keyword,
        channel=conversation.channel,
        message=message.pk,
        opt_out=row.pk,
    )


def _reply(
    conversation: Conversation,
    identity: Identity,
    match: KeywordMatch,
    texts: dict[str, str],
    defaults: dict[str, str],
) -> Message | None:
    """Send the inbox's text for the contact's language (its own, else the built-in default),
    with the account and contact variables filled in; authored by nobody (Switchboard)."""
    language = reply_language(identity.contact, match, conversation)
    context = message_context(Organisation.load(), identity.contact)
    body = ""
    for text in (texts.get(language) or "", defaults[language]):
        if not text.strip():
            continue
        try:
            body = render_message(text, context).strip()
        except TemplateError:
            logger.warning("inbox %s: the %s text does not render", conversation.inbox_id, language)
            continue
        if body:
            break
    if not body:
        return None
    # No agent writes it: the author is None, which the thread shows as "Switchboard".
    return queue_outbound(conversation, body=body, actor=None)


def reply_language(contact: Any, match: KeywordMatch, conversation: Conversation) -> str:
    """The language to answer a keyword in: the contact's own (a `language` attribute),
    else the keyword's when only one list holds it, else the language of the conversation's
    latest message that has one, else the deployment's default."""
    stated = _language((getattr(contact, "attributes", None) or {}).get("language"))
    if stated:
        return stated
    languages = [lang for lang in match.languages if lang in LANGUAGES]
    if len(languages) == 1:
        return languages[0]
    recent = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .exclude(language="")
        .order_by("-created_at", "-id")
        .values_list("language", flat=True)
        .first()
    )
    default = _language(django_settings.LANGUAGE_CODE) or "en"
    for candidate in (_language(recent), default):
        if candidate and (not languages or candidate in languages):
            return candidate
    return languages[0] if languages else default


def _language(value: Any) -> str:
    """The two-letter code of one of our languages ("de-DE" → "de"), or "" for another."""
    code = str(value or "").strip().lower()[:2]
    return code if code in LANGUAGES else ""
