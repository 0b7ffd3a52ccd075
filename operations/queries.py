"""Which rows an operator looks at: outbound messages stuck on their way out and inbound events
no inbox took. Every query is bounded — by an index and a LIMIT, or by a window of the latest
ids — so Settings → System stays fast at ten million messages (DESIGN.md §8)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from inbox.inbound import SWEEP_GRACE as INBOUND_GRACE
from inbox.models import DeliveryStatus, Direction, InboundEvent, Message

# Counts on the System page stop here ("1000+").
COUNT_CAP = 1000
# Unknown outcomes and unrouted events have no index of their own: the page looks among this
# many of the latest rows (the primary key's index), the commands look at all of them.
RECENT_WINDOW = 50_000


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool

    def __str__(self) -> str:
        return f"{self.value}+" if self.capped else str(self.value)


def capped_count(queryset: QuerySet, cap: int | None = None) -> Count:
    """COUNT over a LIMIT-ed subquery: never more than `cap + 1` rows are read."""
    cap = COUNT_CAP if cap is None else cap
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return Count(min(found, cap), found > cap)


def _recent(queryset: QuerySet) -> QuerySet:
    latest = queryset.model._default_manager.aggregate(latest=Max("pk"))["latest"] or 0
    return queryset.filter(pk__gt=latest - RECENT_WINDOW)


# --- Outbound --------------------------------------------------------------------------------


def stuck_queued(older_than: timedelta) -> QuerySet[Message]:
    """Queued outbound messages whose time came more than `older_than` ago: their task was
    lost (the broker was down, a worker died) — the sweeper re-enqueues them after two
    minutes, so any found here mean the sweeper (beat or the realtime worker) is not running.
    Read through the partial index on due_at of queued rows."""
    cutoff = timezone.now() - older_than
    return Message.objects.filter(
        status=DeliveryStatus.QUEUED, direction=Direction.OUTBOUND
    ).filter(Q(due_at__lt=cutoff) | Q(due_at__isnull=True, created_at__lt=cutoff))


def unknown_outcome(older_than: timedelta) -> QuerySet[Message]:
    """Outbound messages whose send ended `unknown`: the provider may have accepted them."""
    cutoff = timezone.now() - older_than
    return Message.objects.filter(
        status=DeliveryStatus.UNKNOWN, direction=Direction.OUTBOUND
    ).filter(Q(attempted_at__lt=cutoff) | Q(attempted_at__isnull=True, created_at__lt=cutoff))


def recent_unknown_outcome() -> QuerySet[Message]:
    return _recent(unknown_outcome(timedelta(0)))


# --- Inbound ---------------------------------------------------------------------------------


def unrouted_events() -> QuerySet[InboundEvent]:
    """Events settled without a message: no inbox owned their number or address, or they
    could not be read. They keep their payload (the customer's number and text) for a
    replay, until the purge."""
    return InboundEvent.objects.filter(processed_at__isnull=False, message__isnull=True)


def pending_events() -> QuerySet[InboundEvent]:
    """Events still waiting to be routed after the sweeper's grace: routing fails on them
    (the log says why) or no worker runs. Read through the partial index of pending events."""
    return InboundEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=timezone.now() - INBOUND_GRACE
    )


def recent_unrouted_events() -> QuerySet[InboundEvent]:
    return _recent(unrouted_events())
