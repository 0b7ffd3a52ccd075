"""Finer planner statistics for contact search (benchmarks/README.md has the measurements).

PostgreSQL estimates how many contacts match `search_text LIKE '%…%'` from a sample of the
column; with the default of 100 sampled values a rare name that happens to be sampled is
guessed at ~1% of all contacts, and the planner walks the whole activity index for 50 rows
that do not exist (about 2 s at 1M contacts). A target of 10,000 brings those to ~10 ms
without slowing the common searches.
"""

from django.db import migrations


def raise_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE contacts_contact ALTER COLUMN search_text SET STATISTICS 10000"
        )


def reset_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE contacts_contact ALTER COLUMN search_text SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_deleted_contact_index")]

    operations = [migrations.RunPython(raise_statistics, reset_statistics)]
