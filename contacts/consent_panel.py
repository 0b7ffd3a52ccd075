"""The contact card's "Campaigns and consent" section (the Identities tab): per address, whether
it is opted out of campaigns on its channel and since when, its marketing consent with its
history, and the forms to change them. Two queries however many addresses and rows."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from contacts.consent import (
    CHANNEL_OF_KIND,
    PURPOSE_OF_CHANNEL,
    Consent,
    ConsentBasis,
    ConsentSource,
    ConsentState,
    OptOut,
    OptOutAction,
    consents_by_identity,
    latest_by_scope,
)
from contacts.consent_forms import ConsentForm, OptOutForm
from contacts.models import Contact, Identity

CHANNEL_LABELS = {"sms": _("SMS"), "whatsapp": _("WhatsApp"), "email": _("E-mail")}
HISTORY_SHOWN = 10


@dataclass
class ConsentRow:
    identity: Identity
    channel: str
    purpose: str
    # The latest opt-out row per channel (usually the identity's own channel only).
    opt_outs: list[OptOut] = field(default_factory=list)
    history: list[Consent] = field(default_factory=list)
    consent_form: ConsentForm | None = None
    opt_out_form: OptOutForm | None = None

    @property
    def consent(self) -> Consent | None:
        """The current consent for the purpose: the latest row (by when it was given)."""
        return next((row for row in self.history if row.purpose == self.purpose), None)

    @property
    def opted_out(self) -> bool:
        own = next((row for row in self.opt_outs if row.scope == self.channel), None)
        return own is not None and own.action == OptOutAction.OPT_OUT

    @property
    def purpose_label(self) -> str:
        return str(PURPOSE_OF_CHANNEL[self.channel].label)

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))


def consent_rows(
    contact: Contact,
    *,
    consent_form: ConsentForm | None = None,
    opt_out_form: OptOutForm | None = None,
    identity_id: int | None = None,
) -> list[ConsentRow]:
    """One row per address that campaigns can reach (phone, WhatsApp, e-mail), from the
    contact's prefetched identities; the bound forms, when given, go to `identity_id`'s row
    (a form sent back with its errors)."""
    identities = [i for i in contact.identities.all() if i.kind in CHANNEL_OF_KIND]
    ids = [i.pk for i in identities]
    latest = latest_by_scope(ids) if ids else {}
    consents = consents_by_identity(ids) if ids else {}
    rows = []
    for identity in identities:
        channel = CHANNEL_OF_KIND[identity.kind]
        row = ConsentRow(
            identity=identity,
            channel=channel,
            purpose=str(PURPOSE_OF_CHANNEL[channel]),
            opt_outs=sorted(
                (r for (pk, _scope), r in latest.items() if pk == identity.pk),
                key=lambda r: r.scope != channel,
            ),
            history=consents.get(identity.pk, [])[:HISTORY_SHOWN],
        )
        if identity.pk == identity_id:
            row.consent_form, row.opt_out_form = consent_form, opt_out_form
        rows.append(row)
    return rows


def consent_context(
    contact: Contact,
    *,
    consent_form: ConsentForm | None = None,
    opt_out_form: OptOutForm | None = None,
    consent_identity_id: int | None = None,
    **_other: object,
) -> dict[str, object]:
    """What `contacts/_consent.html` needs, for the panel's context."""
    return {
        "consent_rows": consent_rows(
            contact,
            consent_form=consent_form,
            opt_out_form=opt_out_form,
            identity_id=consent_identity_id,
        ),
        "consent_states": ConsentState.choices,
        "consent_bases": ConsentBasis.choices,
        "consent_sources": ConsentSource.choices,
    }
