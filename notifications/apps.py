from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from infrastructure.fanout import Phase
        from steps.changes import day_changes

        from .services import queue_goal_notifications

        # In the transaction: the outbox row commits with the steps that earned it, or not at all.
        day_changes.register("notifications.goal_reached", queue_goal_notifications, phase=Phase.IN_TRANSACTION)
