from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"

    def ready(self) -> None:
        try:
            from infrastructure.fanout import Phase
            from steps.changes import day_changes
        except ImportError:
            # Before the steps fan-out exists (issue 13) boards are still right (scored from
            # DayTotal when read); live ticks and "overtaken" pushes start with it.
            return
        from .reactions import on_day_changes

        day_changes.register("challenges.progress", on_day_changes, phase=Phase.AFTER_COMMIT)
