"""The (updated_at, id) index of the API's contact list.

On PostgreSQL it is built CONCURRENTLY (no lock that stops writes to a table of a million
contacts while it builds), hence a migration outside a transaction; elsewhere a plain index.
"""

from django.db import migrations, models

from lib.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contacts", "0006_consent_event_kinds"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="contact",
            index=models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
        ),
    ]
