"""Celery's queues, the task → queue routes and beat's schedule (config/settings.py reads them).

Queues are per workload, each served by its own worker service in production
(docker-compose.yml), so an import or a slow webhook endpoint never delays routing a customer's
message or sending a reply. A worker started without -Q (make worker, the tests) serves them
all. CELERY_QUEUE, when set, prefixes every name: several installations or test runs can share
one Redis.
"""

from typing import Any

from celery.schedules import crontab
from kombu import Exchange, Queue

WORKLOADS = ("realtime", "send", "campaigns", "webhooks", "bulk", "assistant")

ROUTES = {
    # realtime: what an agent or a customer waits for (routing inbound, fetching media)
    "inbox.tasks.process_inbound": "realtime",
    "inbox.tasks.fetch_attachment": "realtime",
    "inbox.tasks.sweep_queued_messages": "realtime",
    # send: outbound messages and e-mails, I/O-bound (a thread pool)
    "inbox.tasks.deliver_message": "send",
    "accounts.tasks.send_invitation": "send",
    "surveys.tasks.*": "send",
    # campaigns: the pacing tick and its batches
    "campaigns.tasks.tick": "campaigns",
    "campaigns.tasks.send_batch": "campaigns",
    # bulk: set-based work over many rows
    "campaigns.tasks.freeze_campaign": "bulk",
    "contacts.tasks.*": "bulk",
    "accounts.tasks.clear_expired_sessions": "bulk",
    # webhooks: deliveries to other systems' endpoints (slow ones wait here, alone)
    "webhooks.tasks.*": "webhooks",
    # …but telling the admins that an endpoint was disabled is an e-mail like the others
    "webhooks.tasks.send_disabled_notice": "send",
    # assistant: calls to the language model, up to LLM_TIMEOUT each
    "assistant.tasks.*": "assistant",
    # operations: housekeeping for operators (purging unrouted inbound events)
    "operations.tasks.*": "bulk",
    # api: forgetting Idempotency-Keys after 24 hours
    "api.tasks.*": "bulk",
    # journey: deleting page views past their retention
    "journey.tasks.*": "bulk",
}


def workload_queues(prefix: str) -> dict[str, str]:
    """{workload: queue name}."""
    return {workload: f"{prefix}.{workload}" if prefix else workload for workload in WORKLOADS}


def kombu_queues(queues: dict[str, str]) -> list[Queue]:
    return [Queue(name, Exchange(name), routing_key=name) for name in queues.values()]


def task_routes(queues: dict[str, str]) -> dict[str, dict[str, str]]:
    return {task: {"queue": queues[workload]} for task, workload in ROUTES.items()}


# Beat records a heartbeat on each tick and pings every queue (config/beat.py).
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Campaign pacing (campaigns.delivery): a tick that is late by more than a second is
    # dropped, the next one takes its place.
    "campaigns-tick": {
        "task": "campaigns.tasks.tick",
        "schedule": 1.0,
        "options": {"expires": 2},
    },
    "sweep-queued-messages": {
        "task": "inbox.tasks.sweep_queued_messages",
        "schedule": 60.0,
    },
    "remove-expired-ephemeral-contacts": {
        "task": "contacts.tasks.remove_expired_ephemeral_contacts",
        "schedule": crontab(minute=5),
    },
    # CSV imports of contacts whose worker died mid-import go on from their last chunk.
    # Uploaded CSVs and error reports hold customers' data outside the contacts: removed
    # CONTACT_IMPORT_RETENTION_DAYS after the import (contacts.csv_import.retention).
    "purge-contact-import-files": {
        "task": "contacts.tasks.purge_contact_import_files",
        "schedule": crontab(minute=23, hour=3),
    },
    "sweep-contact-imports": {
        "task": "contacts.tasks.sweep_contact_imports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    # Unrouted inbound events keep a customer's number and text: purged after
    # UNROUTED_INBOUND_RETENTION_DAYS (operations.tasks).
    "purge-unrouted-inbound-events": {
        "task": "operations.tasks.purge_unrouted_inbound_events",
        "schedule": crontab(minute=41, hour=3),
    },
    # Outbound webhooks (webhooks.delivery): due deliveries are claimed and handed to the
    # webhooks workers; a tick late by more than a second is dropped.
    "webhooks-tick": {
        "task": "webhooks.tasks.tick",
        "schedule": 1.0,
        "options": {"expires": 2},
    },
    "purge-old-webhook-events": {
        "task": "webhooks.tasks.purge_old_events",
        "schedule": crontab(minute=53, hour=3),
    },
    # Idempotency-Keys of the API are kept 24 hours (api.idempotency).
    "purge-idempotency-records": {
        "task": "api.tasks.purge_idempotency_records",
        "schedule": crontab(minute=23),
    },
    # Page views past the organisation's journey retention (journey.retention).
    "purge-old-page-views": {
        "task": "journey.tasks.purge_old_page_views",
        "schedule": crontab(minute=47, hour=3),
    },
    # Survey invitations whose delay after resolving has passed (surveys.actions.invitations).
    "surveys-send-due": {
        "task": "surveys.tasks.send_due",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}
