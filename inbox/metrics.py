"""The inbox's metrics for /metrics (lib.metrics): outbound messages of the last 24 hours
by delivery status, counted when Prometheus scrapes.

The count reads the partial index `message_outbound_recent_idx` (created_at, status of
outbound rows only) and nothing else, so it stays an index-only range scan of one day
however large the table grows; on PostgreSQL it gives up after two seconds.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from inbox.models import DeliveryStatus, Direction, Message

WINDOW = timedelta(hours=24)
OUTBOUND_STATUSES = [
    status for status in DeliveryStatus.values if status != DeliveryStatus.RECEIVED
]


def outbound_by_status() -> dict[str, int]:
    since = timezone.now() - WINDOW
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = '2s'")
        rows = (
            Message.objects.filter(direction=Direction.OUTBOUND, created_at__gte=since)
            .order_by()
            .values_list("status")
            .annotate(count=Count("*"))
        )
        return {status: count for status, count in rows}


class OutboundCollector:
    def collect(self) -> Iterator[Metric]:
        counts = outbound_by_status()
        gauge = GaugeMetricFamily(
            "switchboard_outbound_messages_24h",
            "Outbound messages created in the last 24 hours, by delivery status.",
            labels=["status"],
        )
        for status in OUTBOUND_STATUSES:
            gauge.add_metric([status], counts.get(status, 0))
        yield gauge
