"""The (updated_at, id) index of the API's contact list.

On PostgreSQL it is built CONCURRENTLY (no lock that stops writes to a table of a million
contacts while it builds), hence a migration outside a transaction; elsewhere a plain index.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


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
