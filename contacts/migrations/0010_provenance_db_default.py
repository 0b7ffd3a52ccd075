"""Contact.provenance gets a database default ({}), so rows written by COPY (demo.synthetic_contacts,
the benchmarks' fill) need not name it. SET DEFAULT only: no table rewrite."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0009_contact_import"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contact",
            name="provenance",
            field=models.JSONField(blank=True, db_default={}, default=dict, editable=False),
        ),
    ]
