"""The queue heartbeat (lib.heartbeats): beat sends it to every queue; the worker that takes
it records that the queue is served and how long the task waited in it."""

import time

from celery import shared_task
from django.conf import settings

from lib import heartbeats


@shared_task(ignore_result=True, expires=60)
def heartbeat(workload: str, sent_at: float | None = None) -> None:
    if not settings.REDIS_URL:
        return
    waited = max(0.0, time.time() - sent_at) if sent_at else None
    heartbeats.beat(settings.REDIS_URL, f"queue:{workload}", waited=waited)
