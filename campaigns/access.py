"""The one door to campaigns (an inbox's campaign settings load through
inbox.access.access_inbox, like its other settings).

Campaigns belong to an inbox: its members see them read-only, its managers (and organisation
admins) change them, everybody else gets 404 — the same scope as the inbox's conversations
(`inbox.access.access_inbox`)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from inbox.access import inbox_role
from inbox.models import Inbox, InboxRole, Membership


def visible_campaigns(user: Any) -> Any:
    """Campaigns of the inboxes the user sees (admins: all)."""
    scope = Membership.objects.scope_for(user)
    if scope.admin:
        return Campaign.objects.all()
    return Campaign.objects.filter(inbox_id__in=scope.inbox_ids)


def access_campaign(user: Any, campaign_id: int, *, manage: bool = False) -> Campaign:
    """A campaign of an inbox the user sees (404 otherwise), with its inbox and sender; with
    `manage`, the user must manage that inbox (403 for members)."""
    campaign = get_object_or_404(
        visible_campaigns(user).select_related("inbox", "sender", "created_by"), pk=campaign_id
    )
    if manage and not can_manage(user, campaign.inbox):
        raise PermissionDenied
    return campaign


def can_manage(user: Any, inbox: Inbox) -> bool:
    return inbox_role(user, inbox) == InboxRole.MANAGER
