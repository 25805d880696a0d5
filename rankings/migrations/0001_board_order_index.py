"""The index the SQL leaderboard pages and ranks with.

It extends steps' ``day_total_board`` (day, -steps, reached_at) with
``user_id``, the board's last tie-breaker, so a page is read in order
straight from the index (no sort of a whole day's rows) and a rank is a
range count. It lives here because the rankings own how boards are read; it
is created with plain SQL since a migration can only describe its own app's
models.
"""

from django.db import migrations

INDEX = "rankings_day_board_order"
TABLE = "steps_daytotal"


def create(apps, schema_editor):
    schema_editor.execute(f"CREATE INDEX {INDEX} ON {TABLE} (day, steps DESC, reached_at, user_id)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON {TABLE}")
    else:
        schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("steps", "0001_initial")]

    operations = [migrations.RunPython(create, drop, atomic=False, elidable=False)]
