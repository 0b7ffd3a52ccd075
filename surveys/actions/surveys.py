"""Creating, changing and deleting surveys (managers of the inbox; the views checked)."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.models import Campaign, CampaignType
from inbox.models import Inbox
from lib.cached import forget_on_commit
from lib.errors import ActionRefused
from surveys.models import Survey, SurveyEvent

logger = logging.getLogger("switchboard.surveys")

FIELDS = (
    "name",
    "kind",
    "channel",
    "texts",
    "on_resolve",
    "delay_minutes",
    "throttle_days",
    "is_active",
)
# The inboxes with an active survey, for the conversation's "Send survey" button.
ACTIVE_INBOXES_KEY = "surveys:active-inboxes"


@transaction.atomic
def create_survey(*, inbox: Inbox, actor: User, **fields: Any) -> Survey:
    """A new survey of `inbox`; writes a `created` event."""
    values = {key: fields[key] for key in FIELDS if key in fields}
    survey = Survey.objects.create(inbox=inbox, created_by=actor, **values)
    SurveyEvent.objects.record(
        survey, SurveyEvent.Kind.CREATED, actor=actor, fields=_loggable(values)
    )
    forget_on_commit(ACTIVE_INBOXES_KEY)
    return survey


@transaction.atomic
def update_survey(survey: Survey, *, actor: User, **fields: Any) -> bool:
    """Save the changed fields; False when nothing changed (no event then). The kind cannot
    change once the survey has answers: their scores would mean something else."""
    changed = {
        key: fields[key] for key in FIELDS if key in fields and getattr(survey, key) != fields[key]
    }
    if not changed:
        return False
    if "kind" in changed and survey.responses.exists():
        raise ActionRefused(
            _("The kind cannot change once customers have answered: start a new survey.")
        )
    for key, value in changed.items():
        setattr(survey, key, value)
    survey.updated_at = timezone.now()
    survey.save(update_fields=[*changed, "updated_at"])
    SurveyEvent.objects.record(
        survey, SurveyEvent.Kind.UPDATED, actor=actor, fields=_loggable(changed)
    )
    forget_on_commit(ACTIVE_INBOXES_KEY)
    return True


@transaction.atomic
def delete_survey(survey: Survey, *, actor: User) -> None:
    """Delete a survey that never invited anyone; one that did is switched off instead, so
    its answers stay in the results (refused with ActionRefused)."""
    if survey.invitations.exists():
        raise ActionRefused(
            _(
                "This survey has invited customers, so it stays for its results: "
                "switch it off instead."
            )
        )
    if Campaign.objects.filter(type=CampaignType.SURVEY, content_id=survey.pk).exists():
        raise ActionRefused(
            _("A survey campaign sends this survey: change or delete that campaign first.")
        )
    # The event goes with the survey (cascade); the log line keeps who deleted it.
    logger.info("survey %s (%s) deleted by %s", survey.pk, survey.name, actor.pk)
    survey.delete()
    forget_on_commit(ACTIVE_INBOXES_KEY)


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    """What changed, for the event (the texts as they are: they are the manager's)."""
    return dict(values)
