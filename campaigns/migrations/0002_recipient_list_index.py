# A campaign's rows in id order (the report's list, the CSV, the freeze's chunks) from an index
# on (campaign, id), which replaces the plain index on the campaign.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="campaignrecipient",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="recipients",
                to="campaigns.campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="campaignrecipient",
            index=models.Index(fields=["campaign", "id"], name="recipient_list_idx"),
        ),
    ]
