"""Background work for the rankings: rebuilding a board the index lost."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from . import index
from .periods import BoardKey
from .rebuild import rebuild_board

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def rebuild_board_task(period: str, day: str) -> None:
    board = BoardKey.of(period, date.fromisoformat(day))
    try:
        written = rebuild_board(board=board)
    except index.IndexUnavailable:
        logger.warning("rebuild of %s skipped: Redis is unavailable", board)
        return
    if written is not None:
        logger.info("rebuilt %s %s: %d users", board.period, board.label, written)
