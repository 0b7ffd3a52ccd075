"""Index operations for migrations that run on PostgreSQL in production and SQLite in
development: CONCURRENTLY on PostgreSQL (no lock that stops writes to a large table while the
index builds; the migration must then be `atomic = False`), the plain operation elsewhere."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


def _on_postgresql(schema_editor: Any) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, *states)


class RemoveIndexConcurrentlyWherePossible(RemoveIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, *states)
