"""Conversation numbers from a PostgreSQL sequence instead of the counter row.

The counter row was locked from a new conversation's number until its transaction ended, so
every new conversation waited for the one before it to commit (routing workers serialised on
it). A sequence hands out unique, increasing numbers without a lock; it starts above every
number the counter gave or a conversation holds. SQLite keeps the counter row.
"""

from django.db import migrations

SEQUENCE = "inbox_conversation_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint")
    schema_editor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST("  # noqa: S608 - our own constant
        " (SELECT max(value) FROM inbox_counter WHERE name = 'conversation'),"
        " (SELECT max(number) FROM inbox_conversation), 0) + 1, false)"
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Back to the counter row: it continues where the sequence stopped.
    schema_editor.execute(
        "INSERT INTO inbox_counter (name, value) SELECT 'conversation', 0"
        " WHERE NOT EXISTS (SELECT 1 FROM inbox_counter WHERE name = 'conversation')"
    )
    schema_editor.execute(
        "UPDATE inbox_counter SET value = GREATEST(value, (SELECT coalesce(max(number), 0)"
        " FROM inbox_conversation)) WHERE name = 'conversation'"
    )
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0015_web_channel")]

    operations = [migrations.RunPython(create_sequence, drop_sequence, elidable=False)]
