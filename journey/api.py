"""/api/v1/journey: page views the host's back end sends for a widget in server consent mode
(journey.server). A router of the API (api.api), mounted by JourneyConfig.ready(): the api app
comes before the journey, so it cannot import this module."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from api.auth import scope
from api.routers import responses
from api.schemas import Problem
from api.scopes import Scope
from journey.server import record_server_page_views, server_widget, visit_for

router = Router()
WRITE = scope(Scope.JOURNEY_WRITE)


class PageViewIn(Schema):
    url: str = Field(
        ...,
        max_length=4000,
        description="The page; its query string is stored without anything but utm_* parameters.",
    )
    title: str = Field("", max_length=1000)
    referrer: str = Field("", max_length=4000)
    at: datetime | None = Field(
        None, description="When the page was viewed (default: now; at most an hour back)."
    )


class PageViewsIn(Schema):
    widget: str = Field(
        ..., max_length=24, description="The widget's public id (its snippet's /w/<public id>.js)."
    )
    external_id: str = Field(
        "",
        max_length=300,
        description="Your user id, as in the identity tokens you sign for the widget.",
    )
    email: str = Field("", max_length=320)
    visitor_token: str = Field("", max_length=200)
    page_views: list[PageViewIn] = Field(..., min_length=1, max_length=20)


class PageViewsOut(Schema):
    stored: int


@router.post(
    "/page-views",
    response={**responses(201, PageViewsOut), 409: Problem},
    auth=WRITE,
    summary="Record a contact's page views",
)
def page_views(request: HttpRequest, payload: PageViewsIn) -> Any:
    """For a widget in the "server" consent mode, of one of the token's inboxes (404
    otherwise; 409 in another mode). Name the contact by exactly one of external_id, email or
    visitor_token (404 when nobody is known by it). Pages outside the widget's allowed
    origins are skipped. A new session starts after 30 minutes without a page view.
    Scope: journey:write."""
    principal = request.auth  # type: ignore[attr-defined]
    widget = server_widget(payload.widget, principal.inbox_filter())
    visit = visit_for(
        widget,
        external_id=payload.external_id,
        email=payload.email,
        visitor_token=payload.visitor_token,
    )
    views = [view.dict() for view in payload.page_views]
    for view in views:
        if view["at"] is not None:
            view["at"] = view["at"].isoformat()
    return Status(201, {"stored": record_server_page_views(widget, visit, views)})
