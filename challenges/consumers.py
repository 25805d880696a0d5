"""``/ws/challenges/<id>/``: a challenge's live board.

On connect: a ``snapshot`` (top 100 people, every team, the summary, your
place), as ``GET …/leaderboard`` answers it. Then, while it runs or is in its
grace window, ``rows`` messages as participants sync, coalesced by
``rankings.board_feed`` to at most one every 250 ms across all processes:
``{"type": "rows", "period": "challenge", "key": "<id>", "rows": [...]}``
where each row has a ``scope``: ``people`` (rank, user, name, score, team),
``teams`` (every team, re-ranked), or ``summary``. Only signed-in viewers
who may see the challenge (its group's members for a private group): 4401
signed out, 4404 no such challenge.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import User
from infrastructure.sockets.auth import CLOSE_UNAUTHENTICATED
from infrastructure.sockets.consumers import CLOSE_TRY_AGAIN_LATER, CountedSocketMixin, DirectDispatchMixin
from rankings.board_feed import BoardFeed, board_group, rows_text

from . import board_services, selectors, services
from .api import board_body, entry_body
from .models import Challenge, Scope
from .reactions import LIVE_PERIOD

CLOSE_NOT_FOUND = 4404
SNAPSHOT_ROWS = 100


TEAM_ROWS = 200


def feed_rows(period: str, key: str, user_ids: list[str]) -> list[dict]:
    """The rows of the people who moved, the teams board and the summary, from the index."""
    challenge = Challenge.objects.filter(pk=int(key)).first()
    if challenge is None:
        return []
    pks = list(User.objects.filter(uuid__in=user_ids).values_list("pk", flat=True))
    rows = [{"scope": "people", **entry_body(row)} for row in selectors.people_rows(challenge=challenge, user_pks=pks)]
    teams = board_services.read_board(challenge=challenge, scope=Scope.TEAMS, viewer=None, offset=0, limit=TEAM_ROWS)
    rows += [{"scope": "teams", **entry_body(row)} for row in teams.entries]
    if teams.summary:
        rows.append({"scope": "summary", **teams.summary})
    return rows


FEED = BoardFeed(rows_for=feed_rows)


class ChallengeBoardConsumer(CountedSocketMixin, DirectDispatchMixin, AsyncJsonWebsocketConsumer):
    socket_kind = "challenges"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        snapshot = await self._snapshot(user, self.scope["url_route"]["kwargs"]["challenge_id"])
        if snapshot is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.board = (LIVE_PERIOD, str(snapshot["challenge"]))
        try:
            await self.channel_layer.group_add(board_group(*self.board), self.channel_name)
        except (RedisError, OSError):  # no live updates without the channel layer: come back later
            del self.board
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        if not snapshot["final"]:
            FEED.watch(*self.board)
            self.watching = True
        await self.accept()
        self.count_open()
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "board"):
            if getattr(self, "watching", False):
                FEED.unwatch(*self.board)
            await self.channel_layer.group_discard(board_group(*self.board), self.channel_name)

    async def board_rows(self, event: dict) -> None:
        await self.send(text_data=rows_text(event))

    @database_sync_to_async
    def _snapshot(self, user, challenge_id: int) -> dict | None:
        now = timezone.now()
        challenge = selectors.visible_challenge(challenge_id=int(challenge_id), user=user)
        if challenge is None:
            return None
        services.finalise_if_due(challenge=challenge, now=now)
        page = board_services.read_board(
            challenge=challenge, scope=Scope.PEOPLE, viewer=user, offset=0, limit=SNAPSHOT_ROWS
        )
        body = board_body(challenge, page, scope=Scope.PEOPLE, offset=0, limit=SNAPSHOT_ROWS, now=now)
        teams = board_services.read_board(
            challenge=challenge, scope=Scope.TEAMS, viewer=user, offset=0, limit=TEAM_ROWS
        )
        body["teams"] = [entry_body(row) for row in teams.entries]
        return {"type": "snapshot", **body}
