"""Background work of the journey (routed to the bulk queue, config/queues.py)."""

from celery import shared_task

from journey.retention import purge_old_page_views as purge


@shared_task(ignore_result=True)
def purge_old_page_views() -> int:
    """Nightly from beat: page views and sessions past the retention (journey.retention)."""
    return purge()
