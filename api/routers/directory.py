"""/api/v1/attribute-definitions and /api/v1/deleted-contacts: organisation-wide lists."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from api.auth import scope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.routers import responses
from api.schemas import AttributeDefinitionOut, DeletedContactPage
from api.scopes import Scope
from contacts.models import AttributeDefinition, DeletedContact

router = Router()
READ = scope(Scope.CONTACTS_READ)


@router.get(
    "/attribute-definitions",
    response=responses(200, list[AttributeDefinitionOut]),
    auth=READ,
    summary="List attribute definitions",
)
def list_attribute_definitions(request: HttpRequest) -> Any:
    """Every contact attribute in the admin's order. Scope: contacts:read."""
    return AttributeDefinition.objects.all_cached()


@router.get(
    "/deleted-contacts",
    response=responses(200, DeletedContactPage),
    auth=READ,
    summary="List the deletion log",
)
def list_deleted_contacts(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Any:
    """Newest first; an entry names no one (a masked hint). Scope: contacts:read."""
    return keyset_page(
        request,
        DeletedContact.objects.all(),
        ordering=("-deleted_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
