"""/api/v1/campaigns: campaigns of the token's inboxes and their recipients (read)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from api.access import api_campaign, visible_campaigns
from api.auth import scope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.routers import responses
from api.schemas import CampaignOut, CampaignPage, RecipientPage
from api.scopes import Scope
from campaigns.models import CampaignRecipient, RecipientStatus

router = Router()
READ = scope(Scope.CAMPAIGNS_READ)


def _principal(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("", response=responses(200, CampaignPage), auth=READ, summary="List campaigns")
def list_campaigns(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Any:
    """Newest first. Scope: campaigns:read."""
    return keyset_page(
        request,
        visible_campaigns(_principal(request)),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{int:campaign_id}", response=responses(200, CampaignOut), auth=READ, summary="Get a campaign"
)
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    """Scope: campaigns:read."""
    return api_campaign(_principal(request), campaign_id)


@router.get(
    "/{int:campaign_id}/recipients",
    response=responses(200, RecipientPage),
    auth=READ,
    summary="List a campaign's recipients and their status",
)
def list_recipients(
    request: HttpRequest,
    campaign_id: int,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    status: RecipientStatus | None = None,
) -> Any:
    """In the order they were frozen at launch. Scope: campaigns:read."""
    campaign = api_campaign(_principal(request), campaign_id)
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    if status is not None:
        recipients = recipients.filter(status=status)
    return keyset_page(request, recipients, ordering=("id",), cursor=cursor, limit=limit)
