"""Rebuilding a board's index from MySQL (the rebuild task and the
``rebuild_rankings`` command run this)."""

from __future__ import annotations

from collections.abc import Callable

from . import index, selectors
from .periods import BoardKey


def rebuild_board(*, board: BoardKey, progress: Callable[[int], None] | None = None, batch: int = 10_000) -> int | None:
    """Rebuilds one board's index from MySQL into temporary keys and swaps
    them in atomically; readers see the old board until the swap. Returns how
    many users it wrote, or None when another process is already rebuilding it.
    Raises ``IndexUnavailable`` when Redis is down."""
    build = index.build_start(board)
    if build is None:
        return None
    written = 0
    try:
        for chunk in selectors.stream_board_totals(board, batch=batch):
            index.build_put(
                build,
                [
                    (pk, index.encode_member(steps=total, reached_at=reached, pk=pk), public)
                    for pk, total, reached, public in chunk
                ],
            )
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
        if not index.build_finish(build):
            raise RuntimeError(f"lost the rebuild lease of {board}")
    except BaseException:
        index.build_abort(build)
        raise
    return written
