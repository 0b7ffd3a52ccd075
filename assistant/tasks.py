"""The assistant's one task: a request to the model, by id (assistant.actions.run_request
claims it, so a second delivery does nothing). The calls keep to their own deadline
(actions.request_seconds); the soft time limit above it ends a request that still hangs as
"timed out", and the hard limit leaves room for the SDK's retry that may follow it. A request
lost with its worker is ended by the page that polls it (actions.expire_if_stale)."""

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from assistant import actions

logger = logging.getLogger("switchboard.assistant")

SOFT_LIMIT = int(actions.request_seconds()) + 15
HARD_LIMIT = SOFT_LIMIT + int(settings.LLM_TIMEOUT) + 15


@shared_task(soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT, acks_late=True)
def run_request(request_id: int) -> None:
    actions.run_request(request_id)


def publish(request_id: int) -> None:
    """Queue a committed request (transaction.on_commit). A broker that is down ends the
    request as failed at once, with a message for the page; the inputs wait in the same
    Redis, so there is nothing a sweeper could publish later."""
    try:
        run_request.delay(request_id)
    except OperationalError:
        logger.warning("assistant request not queued", extra={"request_id": request_id})
        actions.fail_unqueued(request_id)
