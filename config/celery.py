"""The Celery application. Every setting lives in config/settings.py under CELERY_*."""

import logging
import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger("switchboard.tasks")


class Task(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        """Publish after commit; if the broker is down, log it and carry on. The row the task
        works on is already committed, and the periodic sweepers publish it again later —
        the request that stored it must not fail because Redis is away (DESIGN.md §6)."""
        from django.db import transaction

        def publish() -> None:
            try:
                self.apply_async(args, kwargs)
            except Exception:
                logger.warning(
                    "broker unavailable, %s left for the sweeper", self.name, exc_info=True
                )

        transaction.on_commit(publish)


app = Celery("switchboard", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _close_inherited_database_pools(**kwargs: object) -> None:
    """A forked worker must not reuse the parent's pooled PostgreSQL sockets."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
