"""The assistant's one task: a request to the model, by id (assistant.actions.run_request
claims it, so a second delivery does nothing). The time limits stop a request that hangs
past two model calls with their retry; the soft limit ends it as "timed out" for the page."""

from celery import shared_task
from django.conf import settings

from assistant import actions

# Two calls (the repair round), each with one retry, each up to LLM_TIMEOUT.
SOFT_LIMIT = int(settings.LLM_TIMEOUT * 4) + 10
HARD_LIMIT = SOFT_LIMIT + 20


@shared_task(soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT, acks_late=True)
def run_request(request_id: int) -> None:
    actions.run_request(request_id)
