"""A task goes through a real Celery worker: Redis in CI, the in-memory transport otherwise."""

import time

import pytest
from django.conf import settings
from django.core import mail

from accounts import actions
from accounts.models import User


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.worker
def test_an_invitation_is_published_after_commit_and_sent_by_the_worker(celery_worker, ada):
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://") if settings.REDIS_URL else broker == "memory://"

    nina = actions.invite_user(
        email="nina@nordlicht.example", display_name="Nina", role="agent", language="de", actor=ada
    )

    assert wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the invitation"
    assert mail.outbox[0].to == ["nina@nordlicht.example"]
    assert "Switchboard" in mail.outbox[0].subject
    assert User.objects.get(pk=nina.pk).invitation_sent_at is not None


@pytest.mark.worker
def test_a_rolled_back_invitation_publishes_nothing(celery_worker, ada):
    from django.db import transaction

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        actions.invite_user(
            email="ghost@nordlicht.example",
            display_name="Ghost",
            role="agent",
            language="en",
            actor=ada,
        )
        raise Abort

    time.sleep(1)
    assert mail.outbox == []
    assert not User.objects.filter(email="ghost@nordlicht.example").exists()


def test_workers_keep_their_database_pool_between_tasks():
    """Celery's Django fixup would close the whole psycopg pool around every task in a
    prefork worker (a new PostgreSQL connection per task); config/celery.py prevents it."""
    from celery.fixups.django import DjangoWorkerFixup

    from config.celery import app

    assert DjangoWorkerFixup(app).db_reuse_max >= 100
