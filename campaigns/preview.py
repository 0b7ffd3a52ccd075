"""The editor's live preview: how many contacts the audience holds, and the first ones with
the message each would get — or why they would be skipped — before anything is frozen.

The same rules as the freeze (campaigns.freeze) decide, for at most PAGE contacts at a time
in a fixed number of queries: their identities, their opt-outs and their consents."""

from dataclasses import dataclass
from typing import Any

from accounts.models import Organisation
from campaigns import audience, content
from campaigns.freeze import KINDS_OF_CHANNEL
from campaigns.models import SkipReason, is_advertising
from campaigns.notice import with_notice
from contacts.consent import (
    PURPOSE_OF_CHANNEL,
    ConsentState,
    OptOutAction,
    consents_by_identity,
    latest_by_scope,
)
from inbox.variables import TemplateError, attribute_defaults, message_context, render_message
from lib.segments import Segments, count

PAGE = 20


@dataclass
class Sample:
    contact: Any
    address: str
    body: str = ""
    subject: str = ""
    skip_reason: str = ""
    skip_label: str = ""
    error: str = ""
    segments: Segments | None = None


def _identity(contact: Any, channel: str) -> Any:
    kinds = KINDS_OF_CHANNEL.get(channel, ["phone"])
    found = [i for i in contact.identities.all() if i.kind in kinds]
    found.sort(key=lambda i: (kinds.index(i.kind), i.pk))
    return found[0] if found else None


def samples(campaign: Any, *, after: int = 0, limit: int = PAGE) -> list[Sample]:
    contacts = list(
        audience.contacts_for(campaign)
        .filter(pk__gt=after)
        .prefetch_related("identities")
        .order_by("pk")[:limit]
    )
    identities = {c.pk: _identity(c, campaign.channel) for c in contacts}
    ids = [i.pk for i in identities.values() if i is not None]
    opt_outs = latest_by_scope(ids) if ids else {}
    purpose = PURPOSE_OF_CHANNEL.get(campaign.channel)
    marketing = is_advertising(campaign.type) and purpose
    consents = consents_by_identity(ids) if ids and marketing else {}
    excluded_ids, excluded_addresses = audience.excluded_contacts(campaign.audience)
    organisation = Organisation.load()
    defaults = attribute_defaults()
    labels = dict(SkipReason.choices)
    # A survey campaign's link: a real-looking one to the survey's preview page (the freeze
    # gives each recipient their own).
    provider = content.provider_for(campaign)
    extra = provider.sample(campaign) if provider is not None else {}
    found = []
    for contact in contacts:
        identity = identities[contact.pk]
        sample = Sample(contact=contact, address=identity.display_value if identity else "")
        reason = ""
        if identity is None:
            reason = SkipReason.NO_ADDRESS
        elif contact.is_blocked:
            reason = SkipReason.BLOCKED
        elif contact.pk in excluded_ids or identity.normalised in excluded_addresses:
            reason = SkipReason.EXCLUDED
        elif (
            latest := opt_outs.get((identity.pk, campaign.channel))
        ) is not None and latest.action == OptOutAction.OPT_OUT:
            reason = SkipReason.OPTED_OUT
        elif marketing and not _granted(consents.get(identity.pk, []), purpose):
            reason = SkipReason.NO_CONSENT
        if reason:
            sample.skip_reason, sample.skip_label = reason, str(labels[reason])
        try:
            context = {**message_context(organisation, contact), **extra}
            sample.body = with_notice(
                campaign.prefix + render_message(campaign.body, context, defaults=defaults),
                campaign=campaign,
                contact=contact,
            )
            sample.subject = render_message(campaign.subject, context, defaults=defaults)
        except TemplateError as exc:
            sample.error = str(exc)
            if not reason:
                sample.skip_reason = SkipReason.MISSING_VARIABLE
                sample.skip_label = str(labels[SkipReason.MISSING_VARIABLE])
        if sample.body and campaign.channel == "sms":
            sample.segments = count(sample.body)
        found.append(sample)
    return found


def _granted(rows: list[Any], purpose: Any) -> bool:
    latest = next((row for row in rows if row.purpose == purpose), None)
    return latest is not None and latest.state == ConsentState.GRANTED


def audience_size(campaign: Any) -> int:
    """The live count: contacts the rules and the include list select, before skips."""
    return int(audience.contacts_for(campaign).count())
