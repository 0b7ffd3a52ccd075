"""Trigram indexes for the conversation search (PostgreSQL only).

Django's `icontains` on PostgreSQL compares `UPPER(column::text) LIKE UPPER('%…%')`, so the
indexes are on the same expressions; pg_trgm is enabled by the contacts migrations.
"""

from django.db import migrations

INDEXES = {
    "message_body_trgm_idx": "inbox_message USING gin (UPPER(body::text) gin_trgm_ops)",
    "conversation_address_trgm_idx": "inbox_conversation USING gin (UPPER(address::text) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0003_list_indexes"),
        ("contacts", "0002_builtin_attributes_and_search_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
