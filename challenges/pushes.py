"""Challenge pushes (filled in below)."""

from __future__ import annotations

from datetime import datetime


def queue_final_results(*, challenge_id: int, now: datetime) -> int:
    return 0
