from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "rankings"

    def ready(self) -> None:
        from accounts.events import visibility_changed
        from infrastructure.fanout import Phase
        from steps.changes import day_changes

        from .services import index_day_changes, on_visibility_changed

        day_changes.register("rankings.index", index_day_changes, phase=Phase.AFTER_COMMIT)
        visibility_changed.register("rankings.reindex", on_visibility_changed, phase=Phase.AFTER_COMMIT)
