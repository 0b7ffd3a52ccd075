"""docker-compose.yml, run here the way compose would run it (Docker cannot run on this machine):
each service's command as written, with the README's production settings, and each health check
command as written, which must answer healthy. PostgreSQL and Redis are this machine's."""

import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from ruamel.yaml import YAML

from tests.databases import database_url
from tests.fakes.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
TOKEN = "m" * 32
WORKERS = sorted(name for name in SERVICES if name.startswith("worker-"))

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="the compose services need PostgreSQL and Redis",
    ),
]


def _private_redis() -> str:
    """The machine's Redis, on a database of this test's own."""
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/13", "", ""))


@pytest.fixture
def production_env(transactional_db) -> dict[str, str]:
    """The README's production settings, on this test run's database and a private Redis."""
    import redis

    redis_url = _private_redis()
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "CELERY_", "DEBUG"))
    }
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
            "DEBUG": "false",
            "SECRET_KEY": "k3Yq-8vP_" * 7,
            "ALLOWED_HOSTS": "support.example.com",
            "PUBLIC_BASE_URL": "https://support.example.com",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": "",
            "HOSTNAME": socket.gethostname(),
            "SMS_BACKEND": "locmem",
            "METRICS_TOKEN": TOKEN,
        }
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _service_env(service: str, env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The service's own literal environment from the compose file under `env` (which
    replaces the container addresses of the database and Redis with this machine's), with
    its container paths moved under `tmp_path`."""
    own = {
        key: str(value)
        for key, value in (SERVICES[service].get("environment") or {}).items()
        if "${" not in str(value)
    }
    merged = {**own, **env}
    if "METRICS_PORT" in own:  # one port per worker here; each container has its own there
        merged["METRICS_PORT"] = str(free_port())
    for key in ("MEDIA_ROOT", "BACKUP_DIR", "PROMETHEUS_MULTIPROC_DIR"):
        if key in own:
            merged[key] = str(tmp_path / service / key.lower())
            Path(merged[key]).mkdir(parents=True, exist_ok=True)
    return merged


def _command(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _healthcheck(service: str) -> list[str]:
    """The health check's command as compose runs it (CMD: the list; CMD-SHELL: sh -c, with
    compose's $$ unescaped to $)."""
    test = SERVICES[service]["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1].replace("$$", "$")]
    assert test[0] == "CMD", test
    return list(test[1:])


def _healthy_within(
    service: str, env: dict[str, str], seconds: float, process: subprocess.Popen[bytes]
) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, f"{service} exited with {process.returncode}"
        result = subprocess.run(
            _healthcheck(service), env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        if result.returncode == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_the_compose_file_requires_its_secrets_and_waits_for_the_migration():
    app = COMPOSE["x-app"]["environment"]
    assert ":?" in app["DATABASE_URL"]
    assert ":?" in SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert ":?" in app["SECRET_KEY"]
    for name in ["web", "beat", "backup", *WORKERS]:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert "healthcheck" in SERVICES[name], name
    assert SERVICES["migrate"]["restart"] == "no"
    assert "migrate" not in " ".join(_command("web"))


def test_every_queue_has_exactly_one_worker_service_and_one_beat():
    served = []
    for name in WORKERS:
        command = _command(name)
        served.append(command[command.index("-Q") + 1])
    assert sorted(served) == sorted(settings.CELERY_WORKLOAD_QUEUES)
    beats = [name for name in SERVICES if "beat" in SERVICES[name].get("command", [])]
    assert beats == ["beat"]


def test_the_services_come_up_healthy_with_the_readme_production_settings(
    production_env, processes, tmp_path
):
    env = production_env
    migrate = subprocess.run(
        _command("migrate"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    # web: gunicorn with the compose flags, on a free local port instead of 0.0.0.0:8000.
    port = free_port()
    web_env = {**_service_env("web", env, tmp_path), "PORT": str(port)}
    assert web_env["BEHIND_PROXY"] == "true"
    web_command = [
        f"--bind=127.0.0.1:{port}" if part.startswith("--bind=") else part
        for part in _command("web")
    ]
    web = subprocess.Popen(web_command, env=web_env, cwd=ROOT)
    processes.append(web)
    workers, worker_envs = {}, {}
    for name in WORKERS:
        worker_envs[name] = _service_env(name, env, tmp_path)
        workers[name] = subprocess.Popen(
            _command(name),
            env=worker_envs[name],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(workers[name])
    beat_command = [
        f"--schedule={tmp_path / 'celerybeat-schedule'}" if part.startswith("--schedule=") else part
        for part in _command("beat")
    ]
    beat = subprocess.Popen(
        beat_command,
        env=_service_env("beat", env, tmp_path),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes.append(beat)
    backup_env = _service_env("backup", env, tmp_path)
    backup = subprocess.Popen(_command("backup"), env=backup_env, cwd=ROOT)
    processes.append(backup)

    web_health = _healthy_within("web", web_env, 60, web)
    assert web_health.returncode == 0, web_health.stderr
    assert '"database": "ok"' in web_health.stdout
    assert '"redis": "ok"' in web_health.stdout
    # /metrics from gunicorn's several processes (PROMETHEUS_MULTIPROC_DIR), with the token.
    metrics = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {
        "Host": "support.example.com",
        "X-Forwarded-Proto": "https",
        "Authorization": f"Bearer {TOKEN}",
    }
    metrics.request("GET", "/metrics", headers=headers)
    answer = metrics.getresponse()
    assert answer.status == 200
    assert b"switchboard_queue_depth" in answer.read()
    metrics.close()

    beat_health = _healthy_within("beat", env, 60, beat)
    assert beat_health.returncode == 0, beat_health.stderr

    backup_health = _healthy_within("backup", backup_env, 90, backup)
    assert backup_health.returncode == 0, backup_health.stderr

    for name, process in workers.items():
        health = _healthy_within(name, env, 90, process)
        assert health.returncode == 0, (name, health.stdout, health.stderr)

    # Beat pings every queue on its first tick, and each queue's own worker answers it.
    for workload in settings.CELERY_WORKLOAD_QUEUES:
        check = [sys.executable, "-m", "lib.heartbeats", f"queue:{workload}", "--max-age", "120"]
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(check, env=env, cwd=ROOT, capture_output=True, text=True)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert result.returncode == 0, (workload, result.stderr)

    # The task metrics live in the workers: worker-send serves its own, the heartbeat included.
    send_port = int(worker_envs["worker-send"]["METRICS_PORT"])
    scrape = http.client.HTTPConnection("127.0.0.1", send_port, timeout=10)
    scrape.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    answer = scrape.getresponse()
    assert answer.status == 200
    body = answer.read().decode()
    assert (
        'switchboard_task_duration_seconds_count{queue="send",task="lib.tasks.heartbeat"}' in body
    )
    scrape.request("GET", "/metrics")
    refused = scrape.getresponse()
    refused.read()
    assert refused.status == 403
    scrape.close()


def test_the_web_health_check_fails_when_web_is_down(production_env):
    env = {**production_env, "PORT": str(free_port())}
    result = subprocess.run(
        _healthcheck("web"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "did not answer" in result.stderr


def test_the_beat_health_check_fails_without_a_heartbeat(production_env):
    result = subprocess.run(
        _healthcheck("beat"), env=production_env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "no heartbeat" in result.stderr
