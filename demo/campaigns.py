"""Demo campaigns: consent for most demo phone numbers, a few templates, two finished
campaigns (one service, one marketing, with skips, a failure, replies and an opt-out) and
one scheduled newsletter. Once: a second run finds them and adds nothing."""

import datetime
import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from campaigns import freeze
from campaigns.actions import campaigns as actions
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
    Template,
)
from contacts.attributes import ensure_builtin_definitions
from contacts.consent import (
    Consent,
    ConsentBasis,
    ConsentSource,
    ConsentState,
    OptOut,
    OptOutSource,
    Purpose,
)
from contacts.models import ContactKind, Identity
from inbox.models import Inbox

MANAGER = "manager@nordlicht.example"
SERVICE, SALES = "Kundenservice", "Vertrieb"
ALWAYS = {"window_days": [0, 1, 2, 3, 4, 5, 6]}
# Rows per INSERT (and per fetch) when the demo writes consents for every identity.
CHUNK = 5_000


@transaction.atomic
def seed_campaigns(inboxes: dict[str, Inbox]) -> int:
    """Returns how many campaigns were created."""
    manager = User.objects.filter(email=MANAGER).first()
    if manager is None or Campaign.objects.exists():
        return 0
    ensure_builtin_definitions()  # the variables the demo messages use
    rng = random.Random(20261201)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    _consents(rng, now)
    _templates(inboxes, manager)
    everyone = {"rules": [{"field": "phone", "op": "not_empty", "value": ""}]}
    service = _finished(
        inboxes[SERVICE],
        manager,
        name="Wartungsarbeiten am Samstag",
        kind="service",
        body="{{ account.company_name }}: Am Samstag von 8 bis 10 Uhr ist unser Kundenportal "
        'nicht erreichbar. Danke für Ihr Verständnis, {{ contact.first_name | default: "liebe '
        'Kundin, lieber Kunde" }}!',
        audience=everyone,
        started=now - timedelta(days=12),
        rng=rng,
    )
    marketing = _finished(
        inboxes[SALES],
        manager,
        name="Frühlingsaktion 20 %",
        kind="marketing",
        body='Hallo {{ contact.first_name | default: "zusammen" }}, nur diese Woche: 20 % auf '
        "alle Wartungsverträge. Antworten Sie STOP, um keine Angebote mehr zu erhalten.",
        audience=everyone,
        started=now - timedelta(days=5),
        rng=rng,
    )
    newsletter = actions.create_campaign(
        inbox=inboxes[SALES],
        actor=manager,
        name="Newsletter Dezember",
        channel="email",
        type="marketing",
    )
    actions.update_campaign(
        newsletter,
        actor=manager,
        values={
            "subject": "Neuigkeiten von {{ account.company_name }}",
            "body": 'Guten Tag {{ contact.first_name | default: "" }},\n\nunsere Neuigkeiten '
            "im Dezember: neue Öffnungszeiten zwischen den Feiertagen und ein Rückblick auf "
            "das Jahr.\n\nIhr Team von {{ account.company_name }}",
            "audience": {"rules": [{"field": "email", "op": "not_empty", "value": ""}]},
        },
    )
    actions.launch_campaign(newsletter, actor=manager, at=now + timedelta(days=3, hours=2))
    return len([c for c in (service, marketing, newsletter) if c])


def _consents(rng: random.Random, now: datetime.datetime) -> None:
    rows: list[Consent] = []
    # Unknown senders (ephemeral contacts) have given no consent.
    identities = Identity.objects.filter(kind__in=["phone", "email"]).exclude(
        contact__kind=ContactKind.EPHEMERAL
    )
    # In batches: a database that holds synthetic contacts from before the demo's campaigns
    # (seed_demo now generates them after) has a million identities, too many consents for one
    # statement or one list in memory.
    for identity in identities.order_by("id").only("id", "kind").iterator(chunk_size=CHUNK):
        if rng.random() < 0.3:
            continue
        purpose = Purpose.MARKETING_SMS if identity.kind == "phone" else Purpose.MARKETING_EMAIL
        rows.append(
            Consent(
                identity=identity,
                purpose=purpose,
                state=ConsentState.GRANTED,
                basis=ConsentBasis.CONSENT,
                source=ConsentSource.FORM,
                evidence="Anmeldeformular Kundenkarte, Double-Opt-in bestätigt",
                at=timezone.now() - timedelta(days=rng.randrange(30, 400)),
            )
        )
        if len(rows) >= CHUNK:
            Consent.objects.bulk_create(rows)
            rows = []
    Consent.objects.bulk_create(rows)


def _templates(inboxes: dict[str, Inbox], manager: User) -> None:
    Template.objects.bulk_create(
        [
            Template(
                name="Terminerinnerung",
                language="de",
                channel="sms",
                body='Hallo {{ contact.first_name | default: "" }}, wir erinnern an Ihren '
                "Termin morgen. Bis dann, {{ account.company_name }}",
                created_by=manager,
            ),
            Template(
                inbox=inboxes[SERVICE],
                name="Danke für Ihre Nachricht",
                language="de",
                body="Danke für Ihre Nachricht! Wir melden uns heute noch bei Ihnen.",
                created_by=manager,
            ),
            Template(
                inbox=inboxes[SALES],
                name="Thanks for your order",
                language="en",
                body='Hi {{ contact.first_name | default: "there" }}, thanks for your order '
                "with {{ account.company_name }}!",
                created_by=manager,
            ),
        ]
    )


def _finished(
    inbox: Inbox,
    manager: User,
    *,
    name: str,
    kind: str,
    body: str,
    audience: Any,
    started: datetime.datetime,
    rng: random.Random,
) -> Campaign | None:
    campaign = actions.create_campaign(
        inbox=inbox, actor=manager, name=name, channel="sms", type=kind
    )
    actions.update_campaign(
        campaign, actor=manager, values={"body": body, "audience": audience, **ALWAYS}
    )
    actions.launch_campaign(campaign, actor=manager)
    freeze.freeze(campaign.pk)
    sent = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED)
    for n, recipient in enumerate(sent.order_by("id")):
        at = started + timedelta(seconds=n)
        status = RecipientStatus.DELIVERED if rng.random() < 0.9 else RecipientStatus.SENT
        fields: dict[str, object] = {"status": status, "sent_at": at, "attempts": 1}
        fields["provider_message_id"] = f"SMdemo{campaign.pk:04d}{recipient.pk:08d}"
        if status == RecipientStatus.DELIVERED:
            fields["delivered_at"] = at + timedelta(seconds=4)
        if n == 2:
            fields.update(
                status=RecipientStatus.FAILED,
                error_code="30003",
                error="Twilio: unreachable destination handset",
            )
        if n in (1, 5):
            fields["replied_at"] = at + timedelta(minutes=12)
        if n == 4 and kind == "marketing" and recipient.identity_id:
            fields["opted_out_at"] = at + timedelta(minutes=3)
            OptOut.objects.create(
                identity_id=recipient.identity_id,
                scope="sms",
                source=OptOutSource.KEYWORD,
                keyword="STOP",
                campaign_id=campaign.pk,
                at=at + timedelta(minutes=3),
            )
        CampaignRecipient.objects.filter(pk=recipient.pk).update(**fields)
    finished = started + timedelta(minutes=8)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.COMPLETED,
        started_at=started,
        completed_at=finished,
        created_at=started - timedelta(days=1),
    )
    CampaignEvent.objects.record(campaign, CampaignEvent.Kind.COMPLETED)
    return campaign
