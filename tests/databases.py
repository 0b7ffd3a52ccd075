"""The test run's PostgreSQL as a URL, for commands run in a subprocess (manage.py restore,
the compose services, a replica alias)."""

from django.db import connection


def database_url(name: str | None = None) -> str:
    """postgres:// for database `name` (default: this test run's own) on the same server."""
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{name or db['NAME']}"
