"""/api/v1/contacts: contacts with their identifiers and notes."""

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from api import contact_actions
from api.access import api_contact, api_identity
from api.auth import scope
from api.contact_rows import complete, contact_rows, rendered
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.routers import responses
from api.schemas import (
    BatchIn,
    BatchOut,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactPatch,
    DeletedContactOut,
    IdentityIn,
    IdentityOut,
    NoteIn,
    NoteOut,
    NotePage,
    Problem,
)
from api.scopes import Scope
from contacts import actions
from contacts.actions import IdentityTaken
from contacts.attributes import FIELD_KEYS
from contacts.identities import CHANNEL_KINDS, looks_like_email, normalise
from contacts.models import Contact, Identity, Note
from contacts.provenance import Writer
from contacts.upsert import ConsentInput, UpsertItem, upsert_contacts
from lib.errors import Conflict

router = Router()
READ, WRITE, DELETE = (
    scope(Scope.CONTACTS_READ),
    scope(Scope.CONTACTS_WRITE),
    scope(Scope.CONTACTS_DELETE),
)
ATTRIBUTE_FILTER = re.compile(r"^([a-z0-9_-]{1,50})=(.{0,500})$", re.S)


def _principal(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _writer(request: HttpRequest) -> dict[str, str]:
    """How the token writes attributes (contacts.provenance): as the CRM with the scope
    attributes:write_crm, else in its creator's name like an agent; named by the token."""
    principal = _principal(request)
    crm = principal.has_scope(Scope.ATTRIBUTES_WRITE_CRM)
    return {"writer": Writer.CRM if crm else Writer.AGENT, "source": principal.token.name}


def _loaded(contact_id: int) -> Contact:
    """The contact again with what ContactOut shows (identities and tags: two queries)."""
    return Contact.objects.prefetch_related("identities", "tags").get(pk=contact_id)


def _identity_filter(identity: str) -> Q:
    """Contacts with the address, normalised the way the app matches senders."""
    channel = "email" if looks_like_email(identity) else "phone"
    try:
        normalised = normalise(CHANNEL_KINDS[channel][0], identity)
    except ValidationError as invalid:
        raise ValidationError({"identity": invalid.messages}) from None
    owners = Identity.objects.filter(kind__in=CHANNEL_KINDS[channel], normalised=normalised)
    return Q(pk__in=owners.values("contact_id"))


def _attribute_filter(attribute: str) -> Q:
    match = ATTRIBUTE_FILTER.match(attribute)
    if match is None:
        raise ValidationError(
            {"attribute": [_("Filter by one attribute as key=value, e.g. customer_tier=gold.")]}
        )
    key, value = match.groups()
    if key in FIELD_KEYS:
        return Q(**{key: value})
    return Q(**{f"attributes__{key}": value})


@router.get("", response=responses(200, ContactPage), auth=READ, summary="List contacts")
def list_contacts(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    updated_since: datetime | None = None,
    identity: str | None = Query(None, max_length=320),
    attribute: str | None = Query(None, max_length=600, description="key=value"),
    tag: str | None = Query(None, max_length=50),
) -> Any:
    """Contacts in the order they last changed, oldest first: (updated_at, id). Keep the last
    page's newest `updated_at` to ask for `updated_since` next time. Scope: contacts:read."""
    contacts = Contact.objects.active()
    if updated_since is not None:
        contacts = contacts.filter(updated_at__gte=updated_since)
    if identity:
        contacts = contacts.filter(_identity_filter(identity.strip()))
    if attribute:
        contacts = contacts.filter(_attribute_filter(attribute))
    if tag:
        contacts = contacts.filter(tags__name__iexact=tag.strip())
    page = keyset_page(
        request, contact_rows(contacts), ordering=("updated_at", "id"), cursor=cursor, limit=limit
    )
    page["items"] = complete(page["items"])
    return rendered(request, page)


@router.post("", response=responses(201, ContactOut), auth=WRITE, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactCreate) -> Any:
    """A curated contact with identifiers and attributes. Scope: contacts:write."""
    fields = payload.model_dump(exclude_unset=True, exclude={"identities"})
    identities = [identity.model_dump() for identity in payload.identities]
    try:
        contact = contact_actions.create_contact(
            fields=fields,
            identities=identities,
            actor=_principal(request).user,
            **_writer(request),
        )
    except IdentityTaken as taken:
        raise Conflict(taken.message) from None
    return Status(201, _loaded(contact.pk))


@router.post(
    "/batch",
    response={**responses(200, BatchOut), 413: Problem},
    auth=WRITE,
    summary="Create or update up to 1,000 contacts",
)
def batch_upsert(request: HttpRequest, payload: BatchIn) -> Any:
    """Each item is matched by `external_id` with its `source_system`, then `email`, then
    `phone`, and creates a contact, updates it, or leaves it unchanged. An item with invalid
    fields, or whose identifiers belong to several contacts ("ambiguous": `candidates`,
    never merged), is an error of its own; the other items are still written, in one
    transaction. Attributes owned by the CRM need the scope attributes:write_crm; a token
    with it never overwrites an agent-owned value. Scope: contacts:write."""
    principal = _principal(request)
    items = [_item(item) for item in payload.items]
    try:
        results = upsert_contacts(
            principal.organisation,
            items,
            actor=principal.user,
            dry_run=payload.dry_run,
            **_writer(request),
        )
    except ValidationError as invalid:
        raise ValidationError({"items": invalid.messages}) from None
    counts = dict.fromkeys(("created", "updated", "unchanged", "error"), 0)
    for result in results:
        counts[result.status] += 1
    return {
        "dry_run": payload.dry_run,
        "counts": counts,
        "results": [
            {
                "ref": result.ref,
                "status": result.status,
                "contact_id": result.contact_id,
                "errors": [
                    {"field": name, "message": message}
                    for name, messages in result.errors.items()
                    for message in messages
                ],
                "candidates": result.candidates,
                "warnings": result.warnings,
            }
            for result in results
        ],
    }


def _item(item: Any) -> UpsertItem:
    consent = item.consent
    return UpsertItem(
        ref=item.ref,
        external_id=item.external_id,
        source_system=item.source_system,
        email=item.email,
        phone=item.phone,
        first_name=item.first_name,
        last_name=item.last_name,
        company=item.company,
        attributes=dict(item.attributes),
        tags=list(item.tags),
        consent=ConsentInput(**consent.model_dump()) if consent is not None else None,
    )


@router.get(
    "/{int:contact_id}", response=responses(200, ContactOut), auth=READ, summary="Get a contact"
)
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    """Scope: contacts:read."""
    return _loaded(api_contact(_principal(request), contact_id).pk)


@router.patch(
    "/{int:contact_id}",
    response=responses(200, ContactOut),
    auth=WRITE,
    summary="Change a contact",
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    """Only the fields sent change. Scope: contacts:write."""
    contact = api_contact(_principal(request), contact_id)
    contact_actions.update_contact(
        contact,
        fields=payload.model_dump(exclude_unset=True),
        actor=_principal(request).user,
        **_writer(request),
    )
    return _loaded(contact.pk)


@router.delete(
    "/{int:contact_id}",
    response=responses(200, DeletedContactOut),
    auth=DELETE,
    summary="Delete a contact",
)
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    """Deletes the contact with its conversations, attachments and attributes, leaving a
    deletion log entry that names no one (the same erasure as in Switchboard). Answers that
    entry. Scope: contacts:delete."""
    contact = api_contact(_principal(request), contact_id)
    return actions.delete_contact(contact, actor=_principal(request).user)


# --- Identities ---------------------------------------------------------------------------


@router.get(
    "/{int:contact_id}/identities",
    response=responses(200, list[IdentityOut]),
    auth=READ,
    summary="List a contact's identifiers",
)
def list_identities(request: HttpRequest, contact_id: int) -> Any:
    """Scope: contacts:read."""
    contact = api_contact(_principal(request), contact_id)
    return list(Identity.objects.filter(contact=contact).order_by("kind", "id"))


@router.post(
    "/{int:contact_id}/identities",
    response=responses(201, IdentityOut),
    auth=WRITE,
    summary="Add an identifier",
)
def add_identity(request: HttpRequest, contact_id: int, payload: IdentityIn) -> Any:
    """409 when the address belongs to another contact. Scope: contacts:write."""
    contact = api_contact(_principal(request), contact_id)
    try:
        identity = contact_actions.add_identity(
            contact, kind=payload.kind, value=payload.value, actor=_principal(request).user
        )
    except IdentityTaken as taken:
        raise Conflict(taken.message) from None
    return Status(201, identity)


@router.delete(
    "/{int:contact_id}/identities/{int:identity_id}",
    response=responses(204, None),
    auth=WRITE,
    summary="Remove an identifier",
)
def remove_identity(request: HttpRequest, contact_id: int, identity_id: int) -> Any:
    """Scope: contacts:write."""
    contact = api_contact(_principal(request), contact_id)
    identity = api_identity(_principal(request), contact, identity_id)
    actions.remove_identity(identity, actor=_principal(request).user)
    return HttpResponse(status=204)


# --- Notes --------------------------------------------------------------------------------


@router.get(
    "/{int:contact_id}/notes",
    response=responses(200, NotePage),
    auth=READ,
    summary="List a contact's notes",
)
def list_notes(
    request: HttpRequest,
    contact_id: int,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Any:
    """Newest first. Scope: contacts:read."""
    contact = api_contact(_principal(request), contact_id)
    notes = Note.objects.filter(contact=contact)
    return keyset_page(request, notes, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


@router.post(
    "/{int:contact_id}/notes",
    response=responses(201, NoteOut),
    auth=WRITE,
    summary="Add a note",
)
def add_note(request: HttpRequest, contact_id: int, payload: NoteIn) -> Any:
    """Written in the name of the token's creator. Scope: contacts:write."""
    contact = api_contact(_principal(request), contact_id)
    return Status(
        201, actions.add_note(contact, body=payload.body, author=_principal(request).user)
    )
