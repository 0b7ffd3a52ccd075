"""manage.py inbound_events: the provider webhooks no inbox took — list, replay, purge."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from operations import queries
from operations.access import NotFound
from operations.actions import Refused, purge_unrouted_inbound_events, replay_inbound_event


class Command(BaseCommand):
    help = _(
        "Inbound events are the provider webhooks (SMS, WhatsApp, e-mail) as stored before "
        "routing. An event no inbox took — its number or address was not set up — is kept "
        "unrouted with the reason. 'list' shows them (--pending: those still waiting to be "
        "routed). 'replay ID …' (or --all) routes them again through the usual path once the "
        "number or address is set up; replaying twice stores the message once. 'purge' "
        "deletes unrouted events older than --older-than-days (default "
        "UNROUTED_INBOUND_RETENTION_DAYS), which beat also does every night: they hold the "
        "customer's number and text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="list|replay|purge")
        listing = actions.add_parser("list", help=_("List unrouted events, newest first."))
        listing.add_argument("--pending", action="store_true", help=_("Waiting ones instead."))
        listing.add_argument("--limit", type=int, default=50, help=_("At most (default 50)."))
        replay = actions.add_parser("replay", help=_("Route events again."))
        replay.add_argument("ids", nargs="*", type=int, help=_("Event ids."))
        replay.add_argument("--all", action="store_true", help=_("Every unrouted event."))
        replay.add_argument("--limit", type=int, default=500, help=_("With --all (default 500)."))
        purge = actions.add_parser("purge", help=_("Delete old unrouted events."))
        purge.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help=_("Age in days (default UNROUTED_INBOUND_RETENTION_DAYS)."),
        )
        purge.add_argument("--dry-run", action="store_true", help=_("Count only; delete nothing."))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(pending=options["pending"], limit=options["limit"])
        elif action == "replay":
            self._replay(options["ids"], every=options["all"], limit=options["limit"])
        else:
            self._purge(options["older_than_days"], dry_run=options["dry_run"])

    def _list(self, *, pending: bool, limit: int) -> None:
        if not 1 <= limit <= 10_000:
            raise CommandError(_("--limit must be between 1 and 10000."))
        events = queries.pending_events() if pending else queries.unrouted_events()
        rows = list(
            events.order_by("-pk").values("pk", "provider", "received_at", "error", "payload")[
                :limit
            ]
        )
        if not rows:
            self.stdout.write(_("No waiting events.") if pending else _("No unrouted events."))
            return
        for row in rows:
            # Where it was sent (our side), never who sent it or what they wrote.
            to = (row["payload"] or {}).get("To", "") if row["provider"] == "twilio" else ""
            self.stdout.write(
                f"{row['pk']}\t{row['provider']}\t{row['received_at']:%Y-%m-%d %H:%M}\t"
                f"{to or '-'}\t{row['error'] or _('(waiting)')}"
            )
        if len(rows) == limit:
            self.stdout.write(_("… (first %(n)s; --limit shows more)") % {"n": limit})

    def _replay(self, ids: list[int], *, every: bool, limit: int) -> None:
        if every == bool(ids):
            raise CommandError(_("Give event ids or --all (not both)."))
        if every:
            ids = list(
                queries.unrouted_events().order_by("pk").values_list("pk", flat=True)[:limit]
            )
        routed = still = 0
        failures: list[str] = []
        for event_id in ids:
            try:
                outcome = replay_inbound_event(event_id)
            except (NotFound, Refused) as refused:
                failures.append(refused.message)
                self.stdout.write(self.style.WARNING(refused.message))
                continue
            except Exception as exc:  # routing itself failed: the event waits for the sweeper
                failures.append(str(event_id))
                self.stdout.write(
                    self.style.ERROR(
                        _("Event %(id)s: routing failed (%(error)s); the sweeper retries it.")
                        % {"id": event_id, "error": type(exc).__name__}
                    )
                )
                continue
            if outcome.routed:
                routed += 1
                self.stdout.write(
                    _("Event %(id)s: routed, message %(m)s.")
                    % {"id": event_id, "m": outcome.message_id}
                )
            else:
                still += 1
                self.stdout.write(
                    _("Event %(id)s: still unrouted: %(reason)s")
                    % {"id": event_id, "reason": outcome.reason}
                )
        self.stdout.write(
            _("%(routed)s routed, %(still)s still unrouted, %(failed)s failed.")
            % {"routed": routed, "still": still, "failed": len(failures)}
        )
        if failures:
            raise CommandError(_("%(n)s event(s) could not be replayed.") % {"n": len(failures)})

    def _purge(self, days: int | None, *, dry_run: bool) -> None:
        days = settings.UNROUTED_INBOUND_RETENTION_DAYS if days is None else days
        try:
            count = purge_unrouted_inbound_events(older_than_days=days, dry_run=dry_run)
        except Refused as refused:
            raise CommandError(refused.message) from refused
        if dry_run:
            self.stdout.write(
                _("%(n)s unrouted event(s) older than %(days)s days would be deleted.")
                % {"n": count, "days": days}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(n)s unrouted event(s) older than %(days)s days deleted.")
                    % {"n": count, "days": days}
                )
            )
