"""Changes the API app makes: tokens (Settings → API) and the one send path of the API.

Token changes write an AccountEvent in their transaction, like every other account change.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, Organisation, User
from api.models import DEFAULT_RATE_LIMIT, ApiToken
from api.principal import ApiPrincipal
from api.scopes import Scope
from api.tokens import hash_secret, new_token, truncate_ip
from contacts.consent import OptOut
from contacts.identities import CHANNEL_KINDS, normalise
from contacts.models import Contact, Identity
from inbox.actions.contact_send import Sent, send_to_contact
from inbox.models import Channel, Inbox
from lib.errors import ActionRefused

# A token's last use is written at most this often (and whenever its network changes), so
# a busy integration does not write its token row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    # The full token string: shown once, on the page that answers the creation, never stored.
    plaintext: str


@transaction.atomic
def create_token(
    *,
    name: str,
    scopes: list[str],
    inboxes: list[Inbox],
    expires_at: datetime | None,
    actor: User,
    rate_limit: int = DEFAULT_RATE_LIMIT,
) -> CreatedToken:
    """Create an API token for the organisation; admins only (PermissionDenied).

    Unknown scopes are a ValidationError. Returns the token with its plaintext, which the
    caller shows once; the database keeps only the secret's SHA-256."""
    if not actor.is_admin:
        raise PermissionDenied
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError({"scopes": [_("Choose at least one of the listed scopes.")]})
    plaintext, parts = new_token()
    token = ApiToken.objects.create(
        organisation=Organisation.load(),
        name=name.strip(),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        rate_limit=rate_limit,
        prefix=parts.prefix,
        secret_hash=hash_secret(parts.secret),
        created_by=actor,
    )
    token.inboxes.set(inboxes)
    AccountEvent.objects.create(
        kind=AccountEvent.Kind.API_TOKEN_CREATED,
        actor=actor,
        data={
            "token": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "scopes": token.scopes,
            "inboxes": sorted(inbox.pk for inbox in inboxes),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return CreatedToken(token=token, plaintext=plaintext)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: User) -> None:
    """Revoke a token at once: its next request is answered 401. Admins only; revoking a
    revoked token changes nothing."""
    if not actor.is_admin:
        raise PermissionDenied
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if revoked:
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.API_TOKEN_REVOKED,
            actor=actor,
            data={"token": token.pk, "name": token.name, "prefix": token.prefix},
        )
        token.refresh_from_db(fields=["revoked_at", "revoked_by"])


def record_use(token: ApiToken, *, ip: str) -> None:
    """Remember when and from which network (truncated) the token was last used; a write
    at most once a minute per token and network."""
    now = timezone.now()
    network = truncate_ip(ip)
    recent = token.last_used_at is not None and token.last_used_at > now - LAST_USED_RESOLUTION
    if recent and token.last_used_ip == network:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=network)
    token.last_used_at, token.last_used_ip = now, network


class OptedOut(ActionRefused):
    """The identity asked for no more messages on this channel."""


def send_message(
    principal: ApiPrincipal,
    contact: Contact,
    *,
    inbox: Inbox,
    channel: str,
    address: str,
    body: str,
    subject: str = "",
    idempotency_key: str = "",
) -> Sent:
    """Send `body` to one of the contact's addresses from one of the token's inboxes, through
    the app's one outbound path (inbox.actions.contact_send.send_to_contact), as the token's
    creator.

    The caller has loaded `inbox` and `contact` through the API's doors. Refused like a send
    from the contact card (blocked contact, no sender, not the contact's address:
    ActionRefused or ValidationError) and, beyond it, for an address whose latest opt-out on
    the channel is an opt-out (OptedOut): an integration's message is never one the customer
    said no to. An Idempotency-Key becomes the message's client id, so even a retry that
    lost its stored answer sends once.
    """
    if channel in Channel.values:
        try:
            normalised = normalise(CHANNEL_KINDS[channel][0], address)
        except ValidationError as invalid:
            raise ValidationError({"address": invalid.messages}) from None
        _refuse_opted_out(contact, channel=channel, normalised=normalised)
    client_id = (
        uuid.uuid5(uuid.NAMESPACE_URL, f"switchboard-api:{principal.token.pk}:{idempotency_key}")
        if idempotency_key
        else None
    )
    return send_to_contact(
        principal.user,
        contact,
        inbox=inbox,
        channel=channel,
        address=address,
        body=body,
        client_id=client_id,
        subject=subject,
    )


def _refuse_opted_out(contact: Contact, *, channel: str, normalised: str) -> None:
    identities: Any = Identity.objects.filter(
        contact=contact, kind__in=CHANNEL_KINDS[channel], normalised=normalised
    ).values_list("id", flat=True)
    if any(OptOut.objects.is_opted_out(identity_id, channel) for identity_id in identities):
        raise OptedOut(
            _("This contact has opted out of messages on %(channel)s, so nothing was sent.")
            % {"channel": Channel(channel).label}
        )
