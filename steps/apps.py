from django.apps import AppConfig


class StepsConfig(AppConfig):
    name = "steps"

    def ready(self) -> None:
        from accounts.events import account_deactivated, account_deleted, friendship_changed, visibility_changed
        from infrastructure.fanout import Phase

        from .broadcasts import (
            broadcast_day_changes,
            end_account_sockets,
            revoke_on_friendship_ended,
            revoke_on_visibility_changed,
        )
        from .changes import day_changes
        from .services import publish_deleted_days

        # Watchers first: the board index write after it costs two queries.
        day_changes.register("steps.live_broadcast", broadcast_day_changes, phase=Phase.AFTER_COMMIT)
        account_deleted.register("steps.deleted_days", publish_deleted_days, phase=Phase.IN_TRANSACTION)
        # Live feeds follow account changes at once: a watcher who may no longer
        # see someone is told so and gets no more of their counts, and the sockets
        # of an account that went close (4401).
        visibility_changed.register("steps.live_revocation", revoke_on_visibility_changed, phase=Phase.AFTER_COMMIT)
        friendship_changed.register("steps.live_revocation", revoke_on_friendship_ended, phase=Phase.AFTER_COMMIT)
        account_deleted.register("steps.live_revocation", end_account_sockets, phase=Phase.AFTER_COMMIT)
        account_deactivated.register("steps.live_revocation", end_account_sockets, phase=Phase.AFTER_COMMIT)
