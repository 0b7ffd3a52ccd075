"""Hand one campaign message to its provider: SMS and WhatsApp through the channel's provider
(`inbox.channels.provider_for(channel).send_text`: twilio, locmem, console), e-mail through the mail
backend (inbox.channels.email.outbound.hand_over) with RFC 8058 one-click unsubscribe.

Trouble is raised as inbox.channels' three failures; campaigns.delivery decides what follows.
"""

from email.headerregistry import Address
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from campaigns.clicks import links_in, track_links
from campaigns.models import Campaign, CampaignRecipient
from campaigns.unsubscribe import unsubscribe_url
from inbox.channels import PermanentFailure, SendResult, provider_for
from inbox.channels.email.outbound import hand_over

EMAIL_PROVIDER = "email"


def send(campaign: Campaign, recipient: CampaignRecipient) -> SendResult:
    sender = campaign.sender
    if sender is None:
        raise PermanentFailure("", code="no_sender")
    if campaign.channel == "email":
        return _send_email(campaign, recipient, sender.address)
    return _send_text(
        campaign,
        to=recipient.address,
        body=recipient.rendered_body,
        status_callback=status_callback_url(recipient),
    )


def _send_text(campaign: Campaign, *, to: str, body: str, status_callback: str) -> SendResult:
    """An SMS or WhatsApp message through the channel's provider (inbox.channels)."""
    sender = campaign.sender
    assert sender is not None  # the callers checked
    result: SendResult = provider_for(campaign.channel).send_text(
        campaign.channel, to=to, from_=sender.address, body=body, status_callback=status_callback
    )
    return result


def status_callback_url(recipient: CampaignRecipient) -> str:
    path = reverse("campaign_webhooks:twilio_status")
    return f"{settings.PUBLIC_BASE_URL}{path}?{urlencode({'recipient': recipient.pk})}"


def email_message_id(recipient: CampaignRecipient, sender_address: str) -> str:
    domain = sender_address.rpartition("@")[2] or "switchboard.invalid"
    return f"campaign-{recipient.campaign_id}-{recipient.pk}@{domain}"


def _send_email(
    campaign: Campaign, recipient: CampaignRecipient, sender_address: str
) -> SendResult:
    link = unsubscribe_url(recipient)
    language = (recipient.contact.attributes or {}).get("language") or settings.LANGUAGE_CODE
    with override(language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE):
        footer = _("Unsubscribe from these e-mails: %(url)s") % {"url": link}
    message_id = email_message_id(recipient, sender_address)
    email = EmailMultiAlternatives(
        subject=recipient.subject or campaign.name,
        body=track_links(
            f"{recipient.rendered_body}\n\n--\n{footer}\n",
            recipient.pk,
            only=links_in(campaign.body),
        ),
        from_email=str(Address(display_name=campaign.inbox.name, addr_spec=sender_address)),
        to=[recipient.address],
        headers={
            "Message-ID": f"<{message_id}>",
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
    )
    try:
        hand_over(email)
    except ValueError as exc:
        raise PermanentFailure(f"The e-mail could not be composed: {exc}", "invalid") from exc
    return SendResult(provider=EMAIL_PROVIDER, provider_message_id=message_id)


def send_test(campaign: Campaign, *, to: str, body: str, subject: str) -> SendResult:
    """The manager's test message: the same provider and sender, no recipient row."""
    sender = campaign.sender
    if sender is None:
        raise PermanentFailure("", code="no_sender")
    if campaign.channel == "email":
        email = EmailMultiAlternatives(
            subject=f"[{_('Test')}] {subject or campaign.name}",
            body=body,
            from_email=str(Address(display_name=campaign.inbox.name, addr_spec=sender.address)),
            to=[to],
        )
        hand_over(email)
        return SendResult(provider=EMAIL_PROVIDER, provider_message_id="")
    path = reverse("campaign_webhooks:twilio_status")  # no recipient: the callback is ignored
    return _send_text(
        campaign, to=to, body=body, status_callback=f"{settings.PUBLIC_BASE_URL}{path}"
    )
