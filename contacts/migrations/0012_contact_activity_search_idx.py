"""The contacts list's activity index carries search_text (an INCLUDE column).

A name search that matches a few thousand of a million contacts is answered by walking the
activity index newest first until a page of matches is found. Without search_text in the index
every skipped entry costs a read of its table row (23,000 for "andersson": ~47 ms); with it the
walk is an index-only scan (~2 ms). The new index is built before the old one is dropped, both
CONCURRENTLY on PostgreSQL (no lock that stops writes to a table of a million contacts while it
builds), hence a migration outside a transaction; elsewhere plain index operations.
"""

from django.db import migrations, models

from lib.migration_operations import (
    AddIndexConcurrentlyWherePossible,
    RemoveIndexConcurrentlyWherePossible,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contacts", "0011_shared_identities"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", True)),
                fields=["-last_activity_at", "-id"],
                include=("search_text",),
                name="contact_activity_search_idx",
            ),
        ),
        RemoveIndexConcurrentlyWherePossible(
            model_name="contact",
            name="contact_activity_idx",
        ),
    ]
