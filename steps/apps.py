from django.apps import AppConfig


class StepsConfig(AppConfig):
    name = "steps"

    def ready(self) -> None:
        from accounts.events import account_deleted
        from infrastructure.fanout import Phase

        from .broadcasts import broadcast_day_changes
        from .changes import day_changes
        from .services import publish_deleted_days

        # Watchers first: the board index write after it costs two queries.
        day_changes.register("steps.live_broadcast", broadcast_day_changes, phase=Phase.AFTER_COMMIT)
        account_deleted.register("steps.deleted_days", publish_deleted_days, phase=Phase.IN_TRANSACTION)
