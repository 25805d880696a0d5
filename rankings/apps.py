from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "rankings"

    def ready(self) -> None:
        from accounts.events import account_deactivated, account_deleted, visibility_changed
        from infrastructure.fanout import Phase
        from steps.changes import day_changes

        from .services import (
            forget_deactivated,
            index_day_changes,
            on_visibility_changed,
            revoke_deleted_from_boards,
            revoke_from_boards,
        )

        day_changes.register("rankings.index", index_day_changes, phase=Phase.AFTER_COMMIT)
        # Boards follow account changes at once, not at the next sync: the index
        # first, then open board sockets drop who their watchers may no longer see.
        visibility_changed.register("rankings.reindex", on_visibility_changed, phase=Phase.AFTER_COMMIT)
        visibility_changed.register("rankings.board_revocation", revoke_from_boards, phase=Phase.AFTER_COMMIT)
        account_deleted.register("rankings.board_revocation", revoke_deleted_from_boards, phase=Phase.AFTER_COMMIT)
        account_deactivated.register("rankings.forget", forget_deactivated, phase=Phase.AFTER_COMMIT)
