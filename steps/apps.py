from django.apps import AppConfig


class StepsConfig(AppConfig):
    name = "steps"

    def ready(self) -> None:
        from accounts import events

        from . import broadcasts

        # Live feeds follow account changes at once (accounts/events.py): a watcher
        # who may no longer see someone is told so and gets no more of their counts.
        events.subscribe(events.VISIBILITY_CHANGED, broadcasts.on_visibility_changed)
        events.subscribe(events.FRIENDSHIP_ENDED, broadcasts.on_friendship_ended)
        events.subscribe(events.USER_REMOVED, broadcasts.on_user_removed)
