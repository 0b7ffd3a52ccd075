"""Comments are append-only in the database itself, not only in the page: UPDATE and DELETE
on inbox_comment fail unless an inbox_erasurepermit row exists, which only the transaction
that erases a contact's data creates (and removes again) — invisible to everyone else."""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION inbox_comment_append_only() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM inbox_erasurepermit) THEN
        RAISE EXCEPTION 'comments are append-only: they cannot be changed or deleted';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inbox_comment_append_only
    BEFORE UPDATE OR DELETE ON inbox_comment
    FOR EACH ROW EXECUTE FUNCTION inbox_comment_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS inbox_comment_append_only ON inbox_comment;
DROP FUNCTION IF EXISTS inbox_comment_append_only();
"""
SQLITE = [
    """CREATE TRIGGER inbox_comment_no_update BEFORE UPDATE ON inbox_comment
       WHEN NOT EXISTS (SELECT 1 FROM inbox_erasurepermit)
       BEGIN SELECT RAISE(ABORT, 'comments are append-only: they cannot be changed or deleted'); END""",
    """CREATE TRIGGER inbox_comment_no_delete BEFORE DELETE ON inbox_comment
       WHEN NOT EXISTS (SELECT 1 FROM inbox_erasurepermit)
       BEGIN SELECT RAISE(ABORT, 'comments are append-only: they cannot be changed or deleted'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS inbox_comment_no_update",
    "DROP TRIGGER IF EXISTS inbox_comment_no_delete",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
