"""Campaign writes: create, edit, launch or schedule, pause, resume, cancel, test send.

Every action is keyword-only and atomic, checks that the actor manages the campaign's inbox,
and leaves a CampaignEvent; freezing and sending happen in tasks after commit."""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from campaigns import audience, content
from campaigns.access import can_manage
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignSettings,
    CampaignStatus,
    RecipientStatus,
)
from inbox.models import Inbox, InboxChannel
from inbox.variables import TemplateError, check_template
from lib.errors import ActionRefused

EDITABLE_FIELDS = (
    "name",
    "type",
    "channel",
    "sender",
    "template",
    "content_id",
    "subject",
    "body",
    "audience",
    "scheduled_at",
    "window_days",
    "window_start",
    "window_end",
    "rate",
)


def _ensure_manager(actor: Any, inbox: Inbox) -> None:
    if not can_manage(actor, inbox):
        raise PermissionDenied(_("Only managers of this inbox change its campaigns."))


def company_prefix(inbox: Inbox) -> str:
    """ "Nordlicht GmbH: " when the inbox inserts the company name, else ""."""
    if not CampaignSettings.objects.for_inbox(inbox).insert_company_name:
        return ""
    name = Organisation.load().name.strip()
    return f"{name}: " if name else ""


@transaction.atomic
def create_campaign(
    *,
    inbox: Inbox,
    actor: Any,
    name: str,
    channel: str,
    type: str,
    content_id: int | None = None,
) -> Campaign:
    """A draft on one of the inbox's channels, sent from its first number or address.
    `content_id` is what a campaign of a later app's type sends (a survey campaign's survey,
    campaigns.content); one the type's provider does not offer in this inbox is left out."""
    _ensure_manager(actor, inbox)
    sender = InboxChannel.objects.sender_for(inbox.pk, channel)
    if sender is None:
        raise ValidationError({"channel": [_("This inbox has no number or address there.")]})
    provider = content.provider_of_type(type)
    offered = {pk for pk, _label in provider.choices(inbox.pk)} if provider else set()
    campaign = Campaign.objects.create(
        inbox=inbox,
        name=name.strip(),
        channel=channel,
        type=type,
        sender=sender,
        content_id=content_id if content_id in offered else None,
        audience=audience.empty(),
        created_by=actor,
    )
    CampaignEvent.objects.record(campaign, CampaignEvent.Kind.CREATED, actor=actor)
    return campaign


@transaction.atomic
def update_campaign(campaign: Campaign, *, actor: Any, values: dict[str, Any]) -> list[str]:
    """Change a draft or scheduled campaign; returns the names of the fields that changed."""
    campaign = Campaign.objects.select_for_update().select_related("inbox").get(pk=campaign.pk)
    _ensure_manager(actor, campaign.inbox)
    if not campaign.is_editable:
        raise ActionRefused(_("A campaign that was launched can no longer be edited."), status=409)
    changed = []
    for field in EDITABLE_FIELDS:
        if field in values and getattr(campaign, field) != values[field]:
            setattr(campaign, field, values[field])
            changed.append(field)
    if campaign.status == CampaignStatus.SCHEDULED:
        # Still going out on its own: it must still be sendable, and "now" means "not
        # scheduled any more" — back to a draft, launched again from the editor.
        if campaign.scheduled_at is None:
            campaign.status = CampaignStatus.DRAFT
            changed.append("status")
        else:
            problems = launch_problems(campaign)
            if problems:
                raise ValidationError(problems)
    if changed:
        campaign.updated_at = timezone.now()
        campaign.save(update_fields=[*changed, "updated_at"])
        CampaignEvent.objects.record(
            campaign, CampaignEvent.Kind.UPDATED, actor=actor, fields=changed
        )
    return changed


def launch_problems(campaign: Campaign) -> list[str]:
    """What stops the campaign from going out, in the manager's language."""
    problems = []
    if campaign.sender_id is None:
        problems.append(_("Choose the number or address it is sent from."))
    if not campaign.body.strip():
        problems.append(_("Write the message."))
    if campaign.channel == "email" and not campaign.subject.strip():
        problems.append(_("Write the subject."))
    extra = content.extra_variables(campaign.type)
    for text in (campaign.body, campaign.subject):
        try:
            check_template(text, extra=extra)
        except TemplateError as exc:
            problems.append(str(exc))
    if campaign.body.strip():
        problems.extend(content.missing_required(campaign.type, campaign.body))
    if problem := content.content_problem(campaign):
        problems.append(problem)
    try:
        definition = audience.clean(campaign.audience)
    except ValidationError as exc:
        problems.extend(exc.messages)
    else:
        if not definition["rules"] and not any(definition["include"].values()):
            problems.append(_("Choose who receives it: add a rule or an include list."))
    return problems


@transaction.atomic
def launch_campaign(campaign: Campaign, *, actor: Any, at: datetime | None = None) -> Campaign:
    """Send now (the audience is frozen by a task after commit) or schedule for `at`."""
    from campaigns import tasks

    campaign = Campaign.objects.select_for_update().select_related("inbox").get(pk=campaign.pk)
    _ensure_manager(actor, campaign.inbox)
    if not campaign.is_editable:
        raise ActionRefused(_("This campaign was launched already."), status=409)
    problems = launch_problems(campaign)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    campaign.prefix = company_prefix(campaign.inbox)
    if at is not None and at > now:
        campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, at
        campaign.save(update_fields=["status", "scheduled_at", "prefix", "updated_at"])
        CampaignEvent.objects.record(
            campaign, CampaignEvent.Kind.SCHEDULED, actor=actor, at=at.isoformat()
        )
        return campaign
    campaign.status, campaign.started_at, campaign.updated_at = CampaignStatus.SENDING, now, now
    campaign.scheduled_at = campaign.scheduled_at if at is None else None
    campaign.save(update_fields=["status", "started_at", "scheduled_at", "prefix", "updated_at"])
    CampaignEvent.objects.record(campaign, CampaignEvent.Kind.LAUNCHED, actor=actor)
    tasks.freeze_campaign.delay_on_commit(campaign.pk)
    return campaign


@transaction.atomic
def unschedule_campaign(campaign: Campaign, *, actor: Any) -> None:
    """A scheduled campaign back to draft."""
    _ensure_manager(actor, campaign.inbox)
    if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
        status=CampaignStatus.DRAFT, updated_at=timezone.now()
    ):
        CampaignEvent.objects.record(
            campaign, CampaignEvent.Kind.UPDATED, actor=actor, fields=["status"]
        )


def _move(campaign: Campaign, *, actor: Any, frm: list[str], to: str, kind: str) -> bool:
    _ensure_manager(actor, campaign.inbox)
    moved = Campaign.objects.filter(pk=campaign.pk, status__in=frm).update(
        status=to, updated_at=timezone.now()
    )
    if moved:
        CampaignEvent.objects.record(campaign, kind, actor=actor)
    return bool(moved)


@transaction.atomic
def pause_campaign(campaign: Campaign, *, actor: Any) -> None:
    """Stop handing out messages; those already with the provider still go."""
    paused = _move(
        campaign,
        actor=actor,
        frm=[CampaignStatus.SENDING],
        to=CampaignStatus.PAUSED,
        kind=CampaignEvent.Kind.PAUSED,
    )
    if not paused:
        raise ActionRefused(_("Only a campaign that is sending can be paused."), status=409)


@transaction.atomic
def resume_campaign(campaign: Campaign, *, actor: Any) -> None:
    resumed = _move(
        campaign,
        actor=actor,
        frm=[CampaignStatus.PAUSED],
        to=CampaignStatus.SENDING,
        kind=CampaignEvent.Kind.RESUMED,
    )
    if not resumed:
        raise ActionRefused(_("Only a paused campaign can be resumed."), status=409)


@transaction.atomic
def cancel_campaign(campaign: Campaign, *, actor: Any) -> None:
    """Nothing more goes out; recipients not yet sent are marked as not sent."""
    unfinished = [s for s in CampaignStatus.values if s not in ("completed", "cancelled")]
    cancelled = _move(
        campaign,
        actor=actor,
        frm=unfinished,
        to=CampaignStatus.CANCELLED,
        kind=CampaignEvent.Kind.CANCELLED,
    )
    if not cancelled:
        raise ActionRefused(_("This campaign has finished already."), status=409)
    CampaignRecipient.objects.filter(
        campaign=campaign, status__in=[RecipientStatus.PENDING, RecipientStatus.QUEUED]
    ).update(status=RecipientStatus.CANCELLED)
    content.settle(campaign)


def send_test(campaign: Campaign, *, actor: Any, to: str, body: str, subject: str) -> str:
    """Send the rendered message once to the manager's own number or address (not a
    recipient, not counted). Returns the provider's id."""
    from campaigns import senders

    _ensure_manager(actor, campaign.inbox)
    if campaign.sender is None:
        raise ValidationError(_("Choose the number or address it is sent from."))
    _check_test_address(campaign, actor, to)
    result = senders.send_test(campaign, to=to, body=body, subject=subject)
    with transaction.atomic():
        CampaignEvent.objects.record(campaign, CampaignEvent.Kind.TEST_SENT, actor=actor, to=to)
    return result.provider_message_id


TESTS_PER_HOUR = 10


def _check_test_address(campaign: Campaign, actor: Any, to: str) -> None:
    """A test goes to staff only: an e-mail to a licensed user's address; an SMS or WhatsApp
    to a number no contact has opted out with. At most TESTS_PER_HOUR per campaign."""
    from django.core.cache import cache

    from accounts.models import User
    from contacts.consent import KIND_OF_CHANNEL, OptOut
    from contacts.models import Identity

    if campaign.channel == "email":
        if not User.objects.licensed().filter(email__iexact=to).exists():
            raise ValidationError(
                _("Tests go to your team only: enter the e-mail address of a user.")
            )
    else:
        kind = KIND_OF_CHANNEL.get(campaign.channel, "phone")
        for identity in Identity.objects.filter(kind__in=[kind, "phone"], normalised=to):
            if OptOut.objects.is_opted_out(identity.pk, campaign.channel):
                raise ValidationError(_("This number opted out of campaigns: it gets no tests."))
    key = f"campaign-tests:{campaign.pk}"
    try:
        cache.add(key, 0, 3600)
        sent = cache.incr(key)
    except Exception:
        sent = 0
    if sent > TESTS_PER_HOUR:
        raise ValidationError(
            _("That is %(n)s tests in an hour; wait a little before the next.")
            % {"n": TESTS_PER_HOUR}
        )
