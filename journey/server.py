"""Server consent mode: the host's back end sends page views through the API
(POST /api/v1/journey/page-views), for a contact it names by its external id (the one its
signed-in visitors carry, `<public id>:<id>`), an e-mail address, or a widget visitor token.

The browser never sends them in this mode (journey.ingest refuses), so the widget must be in
server mode here: a widget in another mode answers 409, so a host cannot bypass the consent
its visitors see.
"""

from typing import Any

from django.db.models import OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.identities import IdentityKind, normalise_email
from contacts.models import Contact, Identity
from journey.models import Source
from journey.recording import Visit, clean_views, current_session_fields, record
from lib.errors import ActionRefused, Conflict
from webchat.models import ConsentMode, WebVisitor, WebWidget, token_hash


def server_widget(public_id: str, inbox_filter: dict[str, Any]) -> WebWidget:
    """The widget `public_id` of one of the token's inboxes (404 otherwise), in server mode
    (409 otherwise)."""
    widget = WebWidget.objects.filter(public_id=public_id, **inbox_filter).first()
    if widget is None:
        raise Http404
    if widget.consent_mode != ConsentMode.SERVER:
        raise Conflict(
            _(
                "This widget's consent mode is not “server”: its page views come from the "
                "visitors' browsers. Change the mode in Settings → Inboxes → Web chat first."
            )
        )
    return widget


def visit_for(
    widget: WebWidget, *, external_id: str = "", email: str = "", visitor_token: str = ""
) -> Visit:
    """Whose page views these are: exactly one of the three ways to name them (422
    otherwise); 404 when nobody is known by it."""
    given = [
        name
        for name, value in (
            ("external_id", external_id),
            ("email", email),
            ("visitor_token", visitor_token),
        )
        if value
    ]
    if len(given) != 1:
        raise ActionRefused(_("Name the contact by one of external_id, email or visitor_token."))
    if visitor_token:
        visitor = (
            WebVisitor.objects.filter(widget=widget, token_hash=token_hash(visitor_token))
            .annotate(
                **current_session_fields("widget__inbox_id", visitor_key=OuterRef("token_hash"))
            )
            .first()
        )
        if visitor is None:
            raise Http404
        return Visit(
            inbox_id=widget.inbox_id,
            visitor_key=visitor.token_hash,
            contact_id=visitor.contact_id,
            source=Source.API,
            session_id=visitor.journey_session_id,  # type: ignore[attr-defined]
            session_last_seen_at=visitor.journey_session_last_seen_at,  # type: ignore[attr-defined]
            session_contact_id=visitor.journey_session_contact_id,  # type: ignore[attr-defined]
            session_visitor_key=visitor.token_hash,
        )
    if external_id:
        kinds, value = [IdentityKind.EXTERNAL_ID], f"{widget.external_prefix}{external_id.strip()}"
    else:
        try:
            kinds, value = [IdentityKind.EMAIL], normalise_email(email)
        except Exception as invalid:
            raise ActionRefused(
                _("“%(email)s” is not an e-mail address.") % {"email": email}
            ) from invalid
    owners = Identity.objects.filter(kind__in=kinds, normalised=value).values("contact_id")
    contacts = list(
        Contact.objects.active()
        .filter(pk__in=owners)
        .annotate(
            **current_session_fields(
                widget.inbox_id, contact_id=OuterRef("pk"), source=Source.API, visitor_key=""
            )
        )[:2]
    )
    if not contacts:
        raise Http404
    if len(contacts) > 1:
        raise Conflict(_("Several contacts have this e-mail address; name one by its external id."))
    contact = contacts[0]
    return Visit(
        inbox_id=widget.inbox_id,
        contact_id=contact.pk,
        source=Source.API,
        session_id=contact.journey_session_id,  # type: ignore[attr-defined]
        session_last_seen_at=contact.journey_session_last_seen_at,  # type: ignore[attr-defined]
        session_contact_id=contact.pk,
    )


def record_server_page_views(
    widget: WebWidget, visit: Visit, raw_views: list[dict[str, Any]]
) -> int:
    """Store the host's page views (cleaned as the browser's are: query strings but utm_*
    dropped) on the widget's allowed origins. Returns how many were stored."""
    views = clean_views(raw_views, origins=widget.origins, now=timezone.now())
    return record(visit, views)
