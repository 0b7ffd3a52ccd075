"""manage.py requeue_outbound: publish stuck outbound messages again, each sent at most once."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from inbox.models import DeliveryStatus
from operations import queries
from operations.actions import requeue_stuck_outbound
from operations.tasks import PublishFailed

STATUSES = {DeliveryStatus.QUEUED.value, DeliveryStatus.UNKNOWN.value}
IDS_SHOWN = 50


class Command(BaseCommand):
    help = _(
        "Find outbound messages stuck on their way out and publish them again. "
        "'queued': committed but their task was lost (the broker was down, a worker died); "
        "each is published again, and the delivery task claims its row with a conditional "
        "UPDATE, so a message published twice is still sent once. "
        "'unknown': the provider may have accepted the message (the connection dropped while "
        "sending, or a worker died mid-send). Like the sweeper, this command never sends those "
        "again: it lists them, and an agent retries each from its conversation after checking "
        "with the customer (a late status callback from the provider may also settle them). "
        "With --dry-run nothing is published; counts and ids are listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=10,
            metavar="MINUTES",
            help=_("Only messages due (or tried) more than this many minutes ago (default 10)."),
        )
        parser.add_argument(
            "--status",
            default="queued",
            help=_("Comma-separated: queued, unknown (default queued)."),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("List only; publish nothing."))
        parser.add_argument(
            "--limit", type=int, default=1000, help=_("At most this many messages (default 1000).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = {part.strip() for part in options["status"].split(",") if part.strip()}
        if not statuses or statuses - STATUSES:
            raise CommandError(
                _("--status takes queued and/or unknown, got %(value)r.")
                % {"value": options["status"]}
            )
        minutes, limit = options["older_than"], options["limit"]
        if minutes < 0:
            raise CommandError(_("--older-than must be 0 minutes or more."))
        if not 1 <= limit <= 100_000:
            raise CommandError(_("--limit must be between 1 and 100000."))
        older_than = timedelta(minutes=minutes)
        if DeliveryStatus.QUEUED in statuses:
            self._queued(older_than, limit, dry_run=options["dry_run"])
        if DeliveryStatus.UNKNOWN in statuses:
            self._unknown(older_than, limit)

    def _queued(self, older_than: timedelta, limit: int, *, dry_run: bool) -> None:
        if dry_run:
            ids = list(
                queries.stuck_queued(older_than)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:limit]
            )
            self.stdout.write(
                _("queued: %(n)s stuck message(s) would be published again.") % {"n": len(ids)}
            )
            self._ids(ids)
            return
        try:
            result = requeue_stuck_outbound(older_than=older_than, limit=limit)
        except PublishFailed as failed:
            raise CommandError(
                _(
                    "The broker refused the tasks after %(n)s: %(error)s. The messages stay "
                    "queued; the sweeper publishes them once the broker is back."
                )
                % {"n": failed.published, "error": failed}
            ) from failed
        self.stdout.write(
            self.style.SUCCESS(
                _("queued: %(n)s stuck message(s) published again.") % {"n": result.published}
            )
        )
        self._ids(result.queued)

    def _unknown(self, older_than: timedelta, limit: int) -> None:
        rows = list(
            queries.unknown_outcome(older_than)
            .order_by("pk")
            .values_list("pk", "conversation_id")[:limit]
        )
        self.stdout.write(
            _("unknown: %(n)s message(s) may have been sent; none is sent again.")
            % {"n": len(rows)}
        )
        for message_id, conversation_id in rows[:IDS_SHOWN]:
            self.stdout.write(
                "  "
                + _("message %(m)s in conversation %(c)s") % {"m": message_id, "c": conversation_id}
            )
        if len(rows) > IDS_SHOWN:
            self.stdout.write("  …")
        if rows:
            self.stdout.write(
                _(
                    "Ask the agents to retry them from their conversations (Retry), where they can "
                    "see what the customer has already received."
                )
            )

    def _ids(self, ids: list[int]) -> None:
        if ids:
            shown = ", ".join(str(pk) for pk in ids[:IDS_SHOWN])
            self.stdout.write(
                "  " + _("ids: %(ids)s") % {"ids": shown + (" …" if len(ids) > IDS_SHOWN else "")}
            )
