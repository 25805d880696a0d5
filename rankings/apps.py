from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "rankings"

    def ready(self) -> None:
        from accounts import events

        from . import services

        # Boards follow account changes at once (accounts/events.py), not at the next sync.
        events.subscribe(events.VISIBILITY_CHANGED, services.on_visibility_changed)
        events.subscribe(events.USER_REMOVED, services.on_user_removed)
