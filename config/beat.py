"""The beat scheduler with heartbeats (lib.heartbeats): on each tick, at most every 5 s, it
records in Redis that beat is alive; every 30 s it sends `lib.tasks.heartbeat` to every queue,
stamped with the time, so the worker that takes it can record that the queue is served and
how long the task waited. Both are read by the compose health checks and Settings → System."""

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler

from lib import heartbeats

logger = logging.getLogger("switchboard.beat")


class HeartbeatScheduler(PersistentScheduler):
    heartbeat_every = 5.0
    queue_heartbeat_every = 30.0
    _last_heartbeat = 0.0
    _last_queue_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_every:
            self._last_heartbeat = now
            try:
                heartbeats.beat(self.app.conf.broker_url, "beat")
            except Exception as exc:  # Redis away: beat itself goes on; the check says so
                logger.warning("beat heartbeat not written: %s", type(exc).__name__)
        if now - self._last_queue_heartbeat >= self.queue_heartbeat_every:
            self._last_queue_heartbeat = now
            self._send_queue_heartbeats()
        # Wake up at least as often as the heartbeat is due.
        return min(interval, self.heartbeat_every)

    def _send_queue_heartbeats(self) -> None:
        from django.conf import settings

        for workload, queue in settings.CELERY_WORKLOAD_QUEUES.items():
            try:
                self.app.send_task(
                    "lib.tasks.heartbeat",
                    args=(workload, time.time()),
                    queue=queue,
                    expires=60,
                    retry=False,
                )
            except Exception as exc:
                logger.warning("queue heartbeat for %s not sent: %s", workload, type(exc).__name__)
