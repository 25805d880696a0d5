from django.db import migrations, models


def ceilings_to_days(apps, schema_editor):
    """A correction now caps the user's day for every source: the lowest
    device ceiling a day had becomes the day's."""
    DailySteps = apps.get_model("steps", "DailySteps")
    DayTotal = apps.get_model("steps", "DayTotal")
    for row in DailySteps.objects.filter(ceiling__isnull=False).order_by("-ceiling"):
        DayTotal.objects.filter(user_id=row.user_id, day=row.day).update(ceiling=row.ceiling)


class Migration(migrations.Migration):
    dependencies = [("steps", "0002_correction_ceiling")]

    operations = [
        migrations.AddField(
            model_name="daytotal",
            name="ceiling",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Set by a staff correction: no sync from any device raises the day above it.",
                null=True,
            ),
        ),
        migrations.RunPython(ceilings_to_days, migrations.RunPython.noop),
        migrations.RemoveField(model_name="dailysteps", name="ceiling"),
        migrations.AlterField(
            model_name="dailysteps",
            name="flagged",
            field=models.BooleanField(
                default=False,
                help_text="Unusually high: waiting for staff review, and counted in the day's total at the review threshold.",
            ),
        ),
    ]
