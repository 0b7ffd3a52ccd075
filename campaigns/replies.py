"""A customer's answer to a campaign message lands in the inbox like any message; this
shows the agent what it answers.

`on_reply(message)` runs for every newly stored inbound message (registered before the
keyword hook in CampaignsConfig.ready). When the sender's identity got a message of a
campaign on this channel within 72 hours, the recipient row is marked replied (the report
counts it), and the campaign message is put into the conversation's thread just before the
answer — as the outbound message it was, with its provider id and an event naming the
campaign — once per recipient.
"""

from datetime import timedelta

from django.utils import timezone

from campaigns.models import CampaignRecipient
from contacts.consent import identity_for_channel
from inbox.actions.conversations import preview
from inbox.models import ConversationEvent, DeliveryStatus, Direction, Message

REPLIED_WITHIN = timedelta(hours=72)


def on_replies(messages: list[Message]) -> None:
    """on_reply for a batch of newly stored messages (inbox.hooks' batch form): one query
    asks whether any of their senders got a campaign message within 72 hours unanswered,
    and on_reply runs only for those senders' messages."""
    senders: dict[int, list[Message]] = {}
    for message in messages:
        if message.direction != Direction.INBOUND:
            continue
        conversation = message.conversation
        identity = identity_for_channel(
            conversation.channel, conversation.address, fallback=conversation.identity
        )
        if identity is not None:
            senders.setdefault(identity.pk, []).append(message)
    if not senders:
        return
    times = [message.created_at for found in senders.values() for message in found]
    answered = set(
        CampaignRecipient.objects.filter(
            identity_id__in=list(senders),
            sent_at__gte=min(times) - REPLIED_WITHIN,
            sent_at__lte=max(times),
            replied_at__isnull=True,
        ).values_list("identity_id", flat=True)
    )
    for identity_id in sorted(answered):
        for message in senders[identity_id]:
            on_reply(message)


def on_reply(message: Message) -> None:
    if message.direction != Direction.INBOUND:
        return
    conversation = message.conversation
    identity = identity_for_channel(
        conversation.channel, conversation.address, fallback=conversation.identity
    )
    if identity is None:
        return
    since = message.created_at - REPLIED_WITHIN
    answered = (
        CampaignRecipient.objects.select_related("campaign")
        .filter(
            identity=identity,
            campaign__channel=conversation.channel,
            sent_at__gte=since,
            sent_at__lte=message.created_at,
            replied_at__isnull=True,
        )
        .order_by("-sent_at", "-id")
        .first()
    )
    if answered is None:
        return
    marked = CampaignRecipient.objects.filter(pk=answered.pk, replied_at__isnull=True).update(
        replied_at=message.created_at, conversation=conversation
    )
    if not marked:
        return
    sent = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        body=answered.rendered_body,
        provider="campaign",
        provider_message_id=f"campaign-{answered.pk}",
        status=DeliveryStatus.DELIVERED if answered.delivered_at else DeliveryStatus.SENT,
        created_at=answered.sent_at or timezone.now(),
    )
    ConversationEvent.objects.record(
        conversation,
        ConversationEvent.Kind.CAMPAIGN_REPLY,
        message=sent.pk,
        campaign=answered.campaign_id,
        name=answered.campaign.name,
    )
    if not conversation.last_message_preview:
        conversation.touch(last_message_preview=preview(message.body))
