"""Survey campaigns' invitations (surveys.campaign_content is the provider that calls these
from the campaign's freeze and sends): one per recipient, created set-based per chunk,
`sent` with the row's send, `cancelled` when the row gets no message."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from campaigns.models import CampaignRecipient, RecipientStatus
from inbox.language import guess_language
from surveys import texts
from surveys.links import survey_url
from surveys.models import InvitationSource, InvitationStatus, SurveyEvent, SurveyInvitation

# A recipient whose row ends like this gets no message, so their invitation is cancelled.
NOT_SENT = [RecipientStatus.SKIPPED, RecipientStatus.CANCELLED, RecipientStatus.FAILED]


def _language(recipient: CampaignRecipient, body_language: str) -> str:
    """The contact's language attribute, else the language the message is written in."""
    given = (recipient.contact.attributes or {}).get("language")
    return texts.language_for(given or body_language)


@transaction.atomic
def invite_recipients(
    *, campaign: Any, recipients: list[CampaignRecipient]
) -> dict[int, dict[str, Any]]:
    """The invitations of one chunk of a survey campaign's freeze — created once, whatever
    the reruns (unique per recipient, conflicts ignored) — and each row's `survey.link`:
    two statements for the chunk. No event per invitation: the campaign's recipient rows
    and its `frozen` event are the record; `sent` leaves one per invitation."""
    if campaign.content_id is None or not recipients:
        return {}
    now = timezone.now()
    body_language = guess_language(campaign.body)
    SurveyInvitation.objects.bulk_create(
        [
            SurveyInvitation(
                survey_id=campaign.content_id,
                contact_id=recipient.contact_id,
                campaign_recipient_id=recipient.pk,
                agent=None,  # a campaign's answer is nobody's handling
                source=InvitationSource.CAMPAIGN,
                status=InvitationStatus.SCHEDULED,
                channel=campaign.channel,
                address=recipient.address,
                language=_language(recipient, body_language),
                created_by_id=campaign.created_by_id,
                created_at=now,
            )
            for recipient in recipients
        ],
        ignore_conflicts=True,
    )
    ids = SurveyInvitation.objects.filter(
        campaign_recipient_id__in=[recipient.pk for recipient in recipients]
    ).values_list("campaign_recipient_id", "pk")
    return {recipient_id: {"survey": {"link": survey_url(pk)}} for recipient_id, pk in ids}


@transaction.atomic
def mark_sent(*, campaign: Any, recipient: Any) -> bool:
    """The row's message went out: its invitation is `sent` once, with a `sent` event (a
    retried send, or a delivery callback that came first, changes nothing the second
    time). Returns whether it changed."""
    found = (
        SurveyInvitation.objects.filter(
            campaign_recipient_id=recipient.pk, status=InvitationStatus.SCHEDULED
        )
        .values_list("pk", "survey_id")
        .first()
    )
    if found is None:
        return False
    pk, survey_id = found
    changed = SurveyInvitation.objects.filter(pk=pk, status=InvitationStatus.SCHEDULED).update(
        status=InvitationStatus.SENT, sent_at=timezone.now()
    )
    if changed:
        SurveyEvent.objects.create(
            survey_id=survey_id,
            invitation_id=pk,
            kind=SurveyEvent.Kind.SENT,
            data={"campaign": campaign.pk},
        )
    return bool(changed)


@transaction.atomic
def cancel_unsent(*, campaign: Any) -> int:
    """Cancel the invitations of the campaign's rows that get no message (skipped,
    cancelled, failed) in one UPDATE; one `cancelled` event says how many. Returns it."""
    cancelled = SurveyInvitation.objects.filter(
        campaign_recipient__campaign_id=campaign.pk,
        campaign_recipient__status__in=NOT_SENT,
        status=InvitationStatus.SCHEDULED,
    ).update(
        status=InvitationStatus.CANCELLED, skip_reason=gettext("The campaign did not send it.")
    )
    if cancelled and campaign.content_id is not None:
        SurveyEvent.objects.create(
            survey_id=campaign.content_id,
            kind=SurveyEvent.Kind.CANCELLED,
            data={"campaign": campaign.pk, "invitations": cancelled},
        )
    return cancelled
