"""The one door to surveys and their results.

A survey belongs to an inbox: its members see it and its results read-only, its managers
(and organisation admins) change it, everybody else gets 404 — the scope of the inbox's
campaigns (campaigns.access). The list and the detail read the same `visible_surveys`."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from inbox.access import inbox_role
from inbox.models import Inbox, InboxRole, Membership
from surveys.models import Survey
from surveys.models.surveys import SurveyQuerySet


def visible_surveys(user: Any) -> SurveyQuerySet:
    """Surveys of the inboxes the user works in (admins: all)."""
    scope = Membership.objects.scope_for(user)
    if scope.admin:
        return Survey.objects.all()
    return Survey.objects.filter(inbox_id__in=list(scope.roles))


def access_survey(user: Any, survey_id: int, *, manage: bool = False) -> Survey:
    """A survey of an inbox the user works in, with its inbox (404 otherwise); with
    `manage`, the user must manage that inbox (403 for members)."""
    survey = get_object_or_404(visible_surveys(user).select_related("inbox"), pk=survey_id)
    if manage and not can_manage(user, survey.inbox):
        raise PermissionDenied
    return survey


def can_manage(user: Any, inbox: Inbox) -> bool:
    return inbox_role(user, inbox) == InboxRole.MANAGER
