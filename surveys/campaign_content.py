"""Survey campaigns: the surveys app's campaign content provider (campaigns.content).

A campaign of type "survey" sends one of its inbox's active surveys (`Campaign.content_id`)
to an audience; its message must contain `{{ survey.link }}`, each recipient's own signed
link. The links come from invitations, one per recipient (`SurveyInvitation.campaign_recipient`,
unique), which the freeze creates for each chunk it renders — in one INSERT, with conflicts
ignored, so a freeze that runs a chunk twice after a killed worker creates none twice and
renders the same links again. An invitation is `scheduled` until the campaign's send of its
row succeeds (`sent`, in the same transaction as the row's `sent`), and `cancelled` when
its row was skipped, cancelled or failed; the beat's survey sweep never sends these (the
campaign's pacing does).

Consent: a survey campaign is advertising under German law and is treated like marketing
(campaigns.models.ADVERTISING_TYPES): consent or the existing-customer exception, and the
objection notice in every SMS.

Answers from these invitations have no agent (nobody handled a conversation): the results
show them in the "Campaign, no agent" row."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.content import ContentProvider
from surveys.actions import campaigns as actions
from surveys.links import preview_url
from surveys.models import Survey, SurveyInvitation

LINK = "survey.link"


def choices(inbox_id: int) -> list[tuple[int, str]]:
    return list(
        Survey.objects.active()
        .filter(inbox_id=inbox_id)
        .order_by("name", "id")
        .values_list("pk", "name")
    )


def sample(campaign: Any) -> dict[str, dict[str, Any]]:
    """A link to the survey's preview page, about as long as the real ones will be."""
    latest = SurveyInvitation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    like = latest + max(campaign.audience_size or 0, 1)
    return {"survey": {"link": preview_url(campaign.content_id or 0, like=like)}}


def describe(campaign: Any) -> tuple[str, str] | None:
    survey = Survey.objects.filter(pk=campaign.content_id or 0).only("pk", "name").first()
    if survey is None:
        return None
    return survey.name, reverse("surveys:detail", args=[survey.pk])


PROVIDER = ContentProvider(
    type="survey",
    label=_("Survey"),
    help_text=_(
        "Each recipient gets their own link to it: put {{ survey.link }} in the message. "
        "Like marketing, it goes only to contacts with consent."
    ),
    choose=_("Choose the survey this campaign sends (an active survey of this inbox)."),
    choices=choices,
    variables={LINK: _("Survey link (each recipient's own)")},
    required={
        LINK: _(
            "A survey campaign's message must contain {{ survey.link }}: it becomes each "
            "recipient's own link to the survey."
        )
    },
    sample=sample,
    prepare=lambda campaign, recipients: actions.invite_recipients(
        campaign=campaign, recipients=recipients
    ),
    sent=lambda campaign, recipient: actions.mark_sent(campaign=campaign, recipient=recipient),
    settle=lambda campaign: actions.cancel_unsent(campaign=campaign),
    describe=describe,
)
