from django.db import migrations


def create_builtin_definitions(apps, schema_editor):
    AttributeDefinition = apps.get_model("contacts", "AttributeDefinition")
    from contacts.attributes import BUILTIN_LABELS, BUILTINS

    for position, (key, kind, choices) in enumerate(BUILTINS):
        AttributeDefinition.objects.get_or_create(
            key=key,
            defaults={
                "label": str(BUILTIN_LABELS[key]),
                "type": kind,
                "choices": choices,
                "position": position,
                "is_builtin": True,
            },
        )


def create_trigram_index(apps, schema_editor):
    # Contact search matches substrings of names and companies; on PostgreSQL a trigram GIN
    # index answers `search_text LIKE '%…%'` without reading the table. SQLite scans.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS contact_search_trgm_idx ON contacts_contact "
        "USING gin (search_text gin_trgm_ops) WHERE merged_into_id IS NULL"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS contact_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        migrations.RunPython(create_builtin_definitions, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
