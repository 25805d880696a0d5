from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"

    def ready(self) -> None:
        from infrastructure.fanout import Phase
        from steps.changes import day_changes

        from .reactions import on_day_changes

        # After the commit: live boards and "overtaken" pushes (boards themselves are read from DayTotal).
        day_changes.register("challenges.progress", on_day_changes, phase=Phase.AFTER_COMMIT)
