"""Recording consent and opt-outs (contacts.consent): the one way every row is written.

Both histories are append-only — a change is a new row, the current state is the latest by
`at` — and every row leaves a ContactEvent on the identity's contact, in the same
transaction. Keyword opt-outs come from campaigns.inbound, agents' from the contact card and
the thread, the provider's (Twilio 21610) from inbox.delivery; all of them call these.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contacts.access import require
from contacts.consent import (
    Consent,
    ConsentBasis,
    ConsentSource,
    ConsentState,
    OptOut,
    OptOutAction,
    OptOutSource,
    Purpose,
    identity_for_channel,
)
from contacts.identities import normalise
from contacts.models import ContactEvent, Identity
from lib.errors import ActionRefused
from lib.events import emit

CHANNELS = ("sms", "whatsapp", "email")
# Twilio's "the recipient has unsubscribed" (they replied STOP to Twilio, or the carrier
# blocks the number): the provider's opt-out.
PROVIDER_OPT_OUT_CODES = frozenset({"21610"})


@transaction.atomic
def record_opt_out(
    identity: Identity,
    *,
    channel: str,
    source: str,
    actor: Any = None,
    keyword: str = "",
    message_id: int | None = None,
    campaign_id: int | None = None,
    provider_code: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> OptOut | None:
    """Append "no more campaign messages on `channel`" for `identity`, said at `at` (now
    when not given), and a ContactEvent.

    `source` is a keyword (with `keyword` and the inbound `message_id`), an agent (`actor`,
    who needs the right to edit contacts), the provider (`provider_code`) or an unsubscribe
    link. Returns None when the inbound message already has its row — a replay records
    nothing, so whatever follows an opt-out (a confirmation) happens once per message.
    Raises ValidationError for an unknown channel or source."""
    return _append(
        identity,
        action=OptOutAction.OPT_OUT,
        channel=channel,
        source=source,
        actor=actor,
        keyword=keyword,
        message_id=message_id,
        campaign_id=campaign_id,
        provider_code=provider_code,
        reason=reason,
        at=at,
    )


@transaction.atomic
def record_opt_in(
    identity: Identity,
    *,
    channel: str,
    source: str,
    actor: Any = None,
    keyword: str = "",
    message_id: int | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> OptOut | None:
    """Append "campaign messages on `channel` again" (START) for `identity`, and a
    ContactEvent. Always appended, also when the identity is not opted out now: a START
    processed before the STOP it answers must still win over it (the later `at` wins).
    An agent must give a reason (who asked, how); returns None for a replayed message."""
    if source == OptOutSource.AGENT and not reason.strip():
        raise ValidationError(
            {"reason": [_("Say why: who asked to receive campaign messages again, and how.")]}
        )
    return _append(
        identity,
        action=OptOutAction.OPT_IN,
        channel=channel,
        source=source,
        actor=actor,
        keyword=keyword,
        message_id=message_id,
        reason=reason,
        at=at,
    )


def record_provider_opt_out(
    *,
    channel: str,
    address: str,
    code: str,
    identity: Identity | None = None,
    campaign_id: int | None = None,
) -> OptOut | None:
    """The provider refused a message because the recipient unsubscribed (Twilio 21610):
    record it as the provider's opt-out of the identity on `channel` (the one campaigns send
    to at `address`, else `identity`). For conversations (inbox.delivery) and campaign
    recipients alike; nothing when the code is not an opt-out, no identity exists, or the
    identity is opted out already (a campaign refused a thousand times records one row)."""
    if code not in PROVIDER_OPT_OUT_CODES:
        return None
    target = identity_for_channel(channel, _normalised(channel, address), fallback=identity)
    if target is None or OptOut.objects.is_opted_out(target.pk, channel):
        return None
    return record_opt_out(
        target,
        channel=channel,
        source=OptOutSource.PROVIDER,
        provider_code=code,
        campaign_id=campaign_id,
    )


def _normalised(channel: str, address: str) -> str:
    kind = "email" if channel == "email" else "phone"
    try:
        return normalise(kind, address)
    except ValidationError:
        return address


def _append(
    identity: Identity,
    *,
    action: str,
    channel: str,
    source: str,
    actor: Any,
    keyword: str = "",
    message_id: int | None = None,
    campaign_id: int | None = None,
    provider_code: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> OptOut | None:
    if channel not in CHANNELS:
        raise ValidationError(_("Unknown channel: %(channel)s") % {"channel": channel})
    if source not in OptOutSource.values:
        raise ValidationError(_("Unknown source: %(source)s") % {"source": source})
    if source == OptOutSource.AGENT:
        require(actor, "edit")
        current = OptOut.objects.current(identity.pk, channel)
        if (current.action if current else OptOutAction.OPT_IN) == action:
            raise ActionRefused(
                _("This address is opted out already.")
                if action == OptOutAction.OPT_OUT
                else _("This address is not opted out.")
            )
    now = timezone.now()
    try:
        # A savepoint: the unique (message_id, scope) refuses a second row for one message.
        with transaction.atomic():
            row = OptOut.objects.create(
                identity=identity,
                scope=channel,
                action=action,
                source=source,
                keyword=keyword[:50],
                message_id=message_id,
                campaign_id=campaign_id,
                provider_code=provider_code[:32],
                actor=actor,
                reason=reason.strip()[:300],
                at=at or now,
                recorded_at=now,
            )
    except IntegrityError:
        if message_id is None:
            raise
        return None
    kind = (
        ContactEvent.Kind.OPTED_OUT
        if action == OptOutAction.OPT_OUT
        else ContactEvent.Kind.OPTED_IN
    )
    ContactEvent.objects.create(
        contact_id=identity.contact_id,
        kind=kind,
        actor=actor,
        data={
            "identity": identity.display_value,
            "channel": channel,
            "source": source,
            "keyword": row.keyword,
            "opt_out": row.pk,
        },
    )
    emit(Organisation.SINGLETON_ID, "consent.changed", {"opt_out": row.pk}, personal=True)
    return row


@transaction.atomic
def record_consent(
    identity: Identity,
    *,
    purpose: str,
    state: str,
    basis: str,
    source: str,
    reason: str,
    actor: Any,
    evidence: str = "",
    at: datetime | None = None,
) -> Consent:
    """Append a grant or withdrawal of marketing consent for `purpose` to the identity's
    history, with its evidence, and a ContactEvent. A person (`actor`, with the right to edit
    contacts) always gives a reason; an import or the CRM passes `actor=None` and its own
    reason. Raises ValidationError for a value that is not one of the choices, a missing
    reason, or a grant without evidence (the advertiser must prove consent, UWG §7)."""
    errors: dict[str, list[str]] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if state not in ConsentState.values:
        errors["state"] = [_("Choose granted or withdrawn.")]
    if basis not in ConsentBasis.values:
        errors["basis"] = [_("Choose a basis.")]
    if source not in ConsentSource.values:
        errors["source"] = [_("Choose a source.")]
    if not reason.strip():
        errors["reason"] = [_("Say why the consent changes.")]
    if state == ConsentState.GRANTED and not evidence.strip():
        errors["evidence"] = [
            _("Say where and how the consent was given: the form, the file, the conversation.")
        ]
    if errors:
        raise ValidationError(errors)
    if actor is not None:
        require(actor, "edit")
    now = timezone.now()
    consent = Consent.objects.create(
        identity=identity,
        purpose=purpose,
        state=state,
        basis=basis,
        source=source,
        evidence=evidence.strip(),
        reason=reason.strip()[:300],
        actor=actor,
        at=at or now,
        recorded_at=now,
    )
    ContactEvent.objects.create(
        contact_id=identity.contact_id,
        kind=ContactEvent.Kind.CONSENT_CHANGED,
        actor=actor,
        data={
            "identity": identity.display_value,
            "purpose": purpose,
            "state": state,
            "basis": basis,
            "source": source,
            "consent": consent.pk,
        },
    )
    emit(Organisation.SINGLETON_ID, "consent.changed", {"consent": consent.pk}, personal=True)
    return consent
