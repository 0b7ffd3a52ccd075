"""config/settings.py reads the environment and refuses bad values loudly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://root@localhost/switchboard", "DATABASE_URL must start with"),
        ("DATABASE_URL", "not a url", "DATABASE_URL must start with"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432", "DATABASE_URL names no database"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must start with redis://"),
        ("AXES_FAILURE_LIMIT", "five", "AXES_FAILURE_LIMIT is not valid"),
        ("DEBUG", "maybe", "DEBUG is not valid"),
        ("PUBLIC_BASE_URL", "support.example.com", "PUBLIC_BASE_URL must be an absolute"),
        ("DEFAULT_PHONE_REGION", "XX", "DEFAULT_PHONE_REGION must be"),
        ("SMS_BACKEND", "carrier-pigeon", "SMS_BACKEND must be one of"),
        ("REPLY_ATTACHMENT_MAX_MB_EMAIL", "ten", "REPLY_ATTACHMENT_MAX_MB_EMAIL is not valid"),
        ("REPLY_ATTACHMENT_MAX_COUNT", "0", "REPLY_ATTACHMENT_MAX_COUNT must be 1 or more"),
        ("REPLY_MEDIA_LINK_MAX_AGE", "5", "REPLY_MEDIA_LINK_MAX_AGE must be 60 seconds or more"),
    ],
)
def test_a_bad_value_stops_the_process_with_a_message_naming_it(variable, value, message):
    result = run_django({"SECRET_KEY": "x" * 50, variable: value}, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_secret_key_is_required_without_debug():
    result = run_django({}, "check")

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_debug_runs_without_any_configuration():
    result = run_django({"DEBUG": "true"}, "check")

    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_settings():
    production = {
        "SECRET_KEY": "k3Yq-8vP_" * 7,
        "ALLOWED_HOSTS": "support.nordlicht.example",
        "PUBLIC_BASE_URL": "https://support.nordlicht.example",
        "DATABASE_URL": "postgres://switchboard@db.internal:5432/switchboard",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }

    result = run_django(production, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_passwords_are_hashed_with_argon2():
    # The test run swaps in a fast hasher; the module itself must name Argon2 first.
    from config import settings as module

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_celery_is_configured_for_at_least_once_delivery():
    conf = app.conf

    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_every_beat_task_exists():
    app.loader.import_default_modules()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_postgres_connections_are_pooled_by_psycopg():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['OPTIONS']['pool']['max_size'])"
    )
    env = {"DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/switchboard"}

    result = run_django(env, "shell", "--verbosity", "0", "-c", code)

    assert result.stdout.split() == ["django.db.backends.postgresql", "0", "10"], result.stderr
