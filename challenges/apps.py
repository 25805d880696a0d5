from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"

    def ready(self) -> None:
        from accounts.events import account_deleted, day_settings_changed
        from infrastructure.fanout import Phase
        from steps.changes import day_changes

        from .board_services import collect_deleted_entries, rejudge_goal_days
        from .reactions import on_day_changes

        # After the commit: the board index, live boards and "overtaken" pushes.
        day_changes.register("challenges.progress", on_day_changes, phase=Phase.AFTER_COMMIT)
        # In the deleting transaction, while the entries can be read; the boards let go after the commit.
        account_deleted.register("challenges.leave_boards", collect_deleted_entries, phase=Phase.IN_TRANSACTION)
        day_settings_changed.register("challenges.rejudge", rejudge_goal_days, phase=Phase.AFTER_COMMIT)
