# A unique UUID on a table that may already hold rows: add it nullable, fill
# each row, then make it unique (Django's documented three-step recipe).

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    Device = apps.get_model("accounts", "Device")
    for device in Device.objects.filter(uuid__isnull=True).only("pk"):
        device.uuid = uuid.uuid4()
        device.save(update_fields=["uuid"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_devices_and_friendships"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="device",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
