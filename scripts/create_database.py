"""Create the PostgreSQL database named in DATABASE_URL if it does not exist yet (make run).

Connects to the server's `postgres` maintenance database with the same credentials. Does
nothing for SQLite or when DATABASE_URL is unset.
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return 0
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created PostgreSQL database {name!r}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
