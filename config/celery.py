"""The Celery application. Every setting lives in config/settings.py under CELERY_*."""

import os
import time
from functools import partial, update_wrapper
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import before_task_publish, setup_logging, task_postrun, worker_process_init
from django_structlog.celery.steps import DjangoStructLogInitStep

from lib import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class Task(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        """Publish after commit, and never fail the caller over it: with `robust=True` Django
        logs an error instead of raising when the broker is down. The row the task works on
        is committed already, and the periodic sweepers publish it later — a request must not
        fail because Redis is away (DESIGN.md §6)."""
        from django.db import transaction

        # update_wrapper gives the partial the __qualname__ Django's robust logging reads.
        publish = update_wrapper(partial(self.apply_async, args, kwargs), self.apply_async)
        transaction.on_commit(publish, robust=True)


app = Celery("switchboard", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the whole psycopg pool around every task in a prefork worker, so
# each task opened a new PostgreSQL connection (about 20 ms, half of routing an inbound
# message). With this it leaves the pool alone for 1,000 tasks, and connections go back to
# the pool after each task below instead.
app.conf["CELERY_DB_REUSE_MAX"] = 500
app.autodiscover_tasks()
# django-structlog in the worker: the request id that enqueued a task is bound while it runs,
# and each task ends with one line (task_succeeded / task_failed, with task, queue and
# duration; lib/request_logs.py).
app.steps["worker"].add(DjangoStructLogInitStep)
# Task latency and failures by queue for /metrics (lib/metrics.py).
metrics.connect_task_signals()


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """Workers log through settings.LOGGING (JSON lines) instead of Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_postrun.connect
def _return_database_connections(task: Any = None, **kwargs: Any) -> None:
    """After a task, like after a request: give connections back to the pool, and drop the
    ones that broke (Django's close_old_connections). Not for eager tasks, which run inside
    the caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_process_init.connect
def _close_inherited_database_pools(**kwargs: object) -> None:
    """A forked worker must not reuse the parent's pooled PostgreSQL sockets."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


@before_task_publish.connect
def _stamp_sent_at(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Stamp every task with the time it was published: Settings → System reads the oldest
    waiting task of each queue (operations.status) to tell how long the queue lags."""
    if headers is not None:
        headers.setdefault("sent_at", time.time())
