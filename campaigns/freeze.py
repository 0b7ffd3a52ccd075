"""Launch freezes the audience into recipient rows — set-based, in chunks, idempotent.

1. `_insert`: one INSERT … SELECT per range of contact ids: each audience contact with its
   first identity on the campaign's channel (none: skipped, "no address"). The unique
   (campaign, contact) and (campaign, identity) constraints with ON CONFLICT DO NOTHING make
   a rerun after a killed worker add nothing twice.
2. `_skip`: one UPDATE per reason (blocked, excluded, opted out, no marketing consent,
   invalid address, an address shared with an earlier row), each skip stored with its
   reason.
3. `_render`: the remaining rows, a chunk at a time: the message rendered for the contact
   (python-liquid through inbox.variables), its SMS segments, the recipient's time zone and
   the window's next opening (`not_before`), written back with one UPDATE per chunk; a
   variable without value or default skips the row ("missing variable"). A campaign of a
   later app's type asks its content provider (campaigns.content) for each chunk's own
   variables first — a survey campaign's invitations, one per row, created for the chunk in
   one statement and idempotent, whose ids sign each recipient's `{{ survey.link }}` — and
   tells it at the end which rows will get nothing.

The pacing tick (campaigns.delivery) may start sending the first rendered chunk while later
ones are still rendered; the campaign completes only after `frozen_at` is set.
"""

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from accounts.models import Organisation
from campaigns import audience, content
from campaigns.keywords import KeywordTable, keyword_table
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
    SkipReason,
    is_advertising,
)
from campaigns.notice import needs_notice, with_notice
from campaigns.windows import next_opening, zone_name_for
from contacts.consent import PURPOSE_OF_CHANNEL, granted, opted_out
from contacts.models import Contact, Identity
from inbox.variables import (
    TemplateError,
    attribute_defaults,
    contact_keys_used,
    message_context,
    render_message,
)
from lib import memo
from lib.segments import count

logger = logging.getLogger("switchboard.campaigns")

ID_RANGE = 20_000
RENDER_CHUNK = 2_000
# Identity kinds a channel reaches, in order of preference.
KINDS_OF_CHANNEL = {"sms": ["phone"], "whatsapp": ["whatsapp", "phone"], "email": ["email"]}


def freeze(campaign_id: int) -> int:
    """Freeze (or finish freezing) the campaign's audience. Returns the audience size.
    Does nothing to a campaign that is not launched or already frozen."""
    campaign = Campaign.objects.select_related("inbox").get(pk=campaign_id)
    if campaign.frozen_at is not None or campaign.status not in (
        CampaignStatus.SENDING,
        CampaignStatus.PAUSED,
    ):
        return campaign.audience_size or 0
    _insert(campaign)
    first = CampaignRecipient.objects.filter(campaign=campaign).aggregate(first=Min("pk"))
    Campaign.objects.filter(pk=campaign.pk).update(first_recipient_id=first["first"])
    _analyse()
    _skip(campaign)
    with memo.scope():  # the organisation and attribute definitions, read once
        _render(campaign)
    if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CANCELLED).exists():
        # Cancelled while it froze: what was frozen since is not sent either.
        CampaignRecipient.objects.filter(
            campaign=campaign, status__in=[RecipientStatus.PENDING, RecipientStatus.QUEUED]
        ).update(status=RecipientStatus.CANCELLED)
    content.settle(campaign)  # a survey's invitations of skipped rows are not sent
    size = CampaignRecipient.objects.filter(campaign=campaign).count()
    with transaction.atomic():
        frozen = Campaign.objects.filter(pk=campaign.pk, frozen_at__isnull=True).update(
            frozen_at=timezone.now(), audience_size=size, updated_at=timezone.now()
        )
        if frozen:
            CampaignEvent.objects.record(campaign, CampaignEvent.Kind.FROZEN, size=size)
    logger.info("campaign %s: audience of %s frozen", campaign.pk, size)
    return size


def _heartbeat(campaign: Campaign) -> None:
    """Freezing is alive: the tick restarts a freeze whose heartbeat stopped."""
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now())


def _insert(campaign: Campaign) -> None:
    contacts = audience.contacts_for(campaign)
    # One scan for both ends: `ORDER BY id DESC LIMIT 1` walks the primary key from the top
    # and tests the audience's filter on every contact it passes, which at a million contacts
    # and a selective filter (a tag the newest contacts lack) took over 10 s.
    bounds = contacts.order_by().aggregate(lowest=Min("pk"), highest=Max("pk"))
    lowest, highest = bounds["lowest"], bounds["highest"]
    if lowest is None or highest is None:
        return
    kinds = KINDS_OF_CHANNEL.get(campaign.channel, ["phone"])
    preference = " ".join(f"WHEN %s THEN {n}" for n in range(len(kinds)))
    recipients = CampaignRecipient._meta.db_table
    contact_table, identity_table = Contact._meta.db_table, Identity._meta.db_table
    kind_list = ", ".join(["%s"] * len(kinds))
    start = lowest - 1
    while start < highest:
        end = start + ID_RANGE
        ids_sql, ids_params = (
            contacts.filter(pk__gt=start, pk__lte=end).values("pk").query.sql_with_params()
        )
        sql = f"""
            INSERT INTO {recipients} (campaign_id, contact_id, identity_id, address, status,
                skip_reason, time_zone, subject, rendered_body, segments, error_code, error,
                attempts)
            SELECT %s, c.id, i.id, COALESCE(i.normalised, ''),
                CASE WHEN i.id IS NULL THEN %s ELSE %s END,
                CASE WHEN i.id IS NULL THEN %s ELSE '' END,
                '', '', '', 0, '', '', 0
            FROM {contact_table} c
            LEFT JOIN {identity_table} i ON i.id = (
                SELECT i2.id FROM {identity_table} i2
                WHERE i2.contact_id = c.id AND i2.kind IN ({kind_list})
                ORDER BY CASE i2.kind {preference} END, i2.id LIMIT 1)
            WHERE c.id IN ({ids_sql})
            ON CONFLICT DO NOTHING
        """  # noqa: S608 (table names from models; values are parameters)
        params = [
            campaign.pk,
            RecipientStatus.SKIPPED,
            RecipientStatus.PENDING,
            SkipReason.NO_ADDRESS,
            *kinds,
            *kinds,
            *ids_params,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        _heartbeat(campaign)
        start = end


def _analyse() -> None:
    """Fresh statistics for the rows just inserted. They are `pending`, a status that lasts
    only while a freeze runs, so the table's statistics hardly ever hold it: planned for one
    pending row, each chunk's UPDATE … FROM VALUES joined every pending row with every row
    of the chunk (46 s for one chunk with 56,000 rows pending; benchmarks/README.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {CampaignRecipient._meta.db_table}")


def _skip(campaign: Campaign) -> None:
    def pending() -> Any:
        return CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING)

    def skip(rows: Any, reason: str) -> None:
        rows.update(status=RecipientStatus.SKIPPED, skip_reason=reason)

    skip(pending().filter(contact__is_blocked=True), SkipReason.BLOCKED)
    excluded_ids, excluded_addresses = audience.excluded_contacts(campaign.audience)
    if excluded_ids or excluded_addresses:
        skip(
            pending().filter(
                Q(contact_id__in=excluded_ids)
                | Q(address__in=excluded_addresses)
                | Q(contact__identities__normalised__in=excluded_addresses)
            ),
            SkipReason.EXCLUDED,
        )
    skip(pending().filter(opted_out(OuterRef("identity"), campaign.channel)), SkipReason.OPTED_OUT)
    purpose = PURPOSE_OF_CHANNEL.get(campaign.channel)
    if is_advertising(campaign.type) and purpose:  # marketing and surveys: consent first
        skip(pending().exclude(granted(OuterRef("identity"), purpose)), SkipReason.NO_CONSENT)
    if campaign.channel == "email":
        skip(pending().exclude(address__contains="@"), SkipReason.INVALID_ADDRESS)
    else:
        skip(pending().exclude(address__startswith="+"), SkipReason.INVALID_ADDRESS)
    # An address several contacts share (a family landline, contacts.sharing) gets the
    # campaign once: the first contact's row that is still to be sent.
    earlier = pending().filter(address=OuterRef("address"), pk__lt=OuterRef("pk"))
    skip(pending().filter(Exists(earlier)), SkipReason.DUPLICATE)
    _heartbeat(campaign)


def _render(campaign: Campaign) -> None:
    organisation = Organisation.load()
    now = timezone.now()
    start_at = max(now, campaign.scheduled_at or now)
    days = list(campaign.window_days or [])
    defaults = attribute_defaults()
    keys = contact_keys_used(campaign.body, campaign.subject)
    table = keyword_table(campaign.inbox) if needs_notice(campaign) else None
    # A contact's e-mail and phone variables come from its identities: read only when used.
    related = ["contact__identities"] if keys & {"email", "phone"} else []
    provider = content.provider_for(campaign)
    last = 0
    while True:
        chunk = list(
            CampaignRecipient.objects.filter(
                campaign=campaign, status=RecipientStatus.PENDING, pk__gt=last
            )
            .select_related("contact")
            .prefetch_related(*related)
            .order_by("pk")[:RENDER_CHUNK]
        )
        if not chunk:
            return
        last = chunk[-1].pk
        # The provider's values per row (a survey's link): a few statements for the chunk.
        extra = provider.prepare(campaign, chunk) if provider is not None else {}
        rows = []
        for recipient in chunk:
            rows.append(
                _rendered(
                    campaign,
                    recipient,
                    organisation,
                    start_at,
                    days,
                    defaults,
                    keys,
                    table,
                    extra.get(recipient.pk),
                )
            )
        _write(rows)
        _heartbeat(campaign)


def _rendered(
    campaign: Campaign,
    recipient: CampaignRecipient,
    organisation: Any,
    start_at: Any,
    days: Any,
    defaults: dict[str, str],
    keys: set[str],
    table: KeywordTable | None,
    extra: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    contact = recipient.contact
    zone = zone_name_for(contact.attributes, recipient.address)
    try:
        # Without its provider's values (a survey link) a row is skipped as missing them.
        context = {**message_context(organisation, contact, only=keys), **(extra or {})}
        body = campaign.prefix + render_message(campaign.body, context, defaults=defaults)
        body = with_notice(body, campaign=campaign, contact=contact, table=table)
        subject = render_message(campaign.subject, context, defaults=defaults)
    except TemplateError:
        skipped = (RecipientStatus.SKIPPED, SkipReason.MISSING_VARIABLE, "", "", 0, zone, None)
        return (recipient.pk, *skipped)
    segments = count(body).segments if campaign.channel == "sms" else 1
    not_before = next_opening(start_at, zone, days, campaign.window_start, campaign.window_end)
    queued = (RecipientStatus.QUEUED, "", body, subject[:300], segments, zone, not_before)
    return (recipient.pk, *queued)


def _write(rows: list[tuple[Any, ...]]) -> None:
    """One UPDATE for the chunk, from a VALUES list (PostgreSQL needs the types named)."""
    postgres = connection.vendor == "postgresql"

    def typed(kind: str) -> str:
        return f"%s::{kind}" if postgres else "%s"

    first = (
        f"({typed('bigint')}, {typed('text')}, {typed('text')}, {typed('text')}, "
        f"{typed('text')}, {typed('integer')}, {typed('text')}, {typed('timestamptz')})"
    )
    values = ", ".join([first] + ["(%s, %s, %s, %s, %s, %s, %s, %s)"] * (len(rows) - 1))
    table = CampaignRecipient._meta.db_table
    sql = f"""
        WITH v(id, status, skip_reason, body, subject, segments, zone, not_before) AS (
            VALUES {values})
        UPDATE {table} SET status = v.status, skip_reason = v.skip_reason,
            rendered_body = v.body, subject = v.subject, segments = v.segments,
            time_zone = v.zone, not_before = v.not_before
        FROM v WHERE {table}.id = v.id AND {table}.status = %s
    """  # noqa: S608 (the table name comes from the model; values are parameters)
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for row in rows:
        params += [*row[:7], adapt(row[7]) if row[7] is not None else None]
    params.append(RecipientStatus.PENDING)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
