"""Database routing: the primary for everything, the read replica for the reads made inside
`lib.replica.from_replica()` when DATABASE_REPLICA_URL configures one."""

from typing import Any

from lib.replica import REPLICA, reading_from_replica


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if reading_from_replica() else None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, copied: rows on either side are the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
