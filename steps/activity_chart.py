"""Geometry of the staff chart on the day records page: bars for total steps,
a line for active users, drawn as inline SVG by the template (no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .selectors import DailyActivity

WIDTH = 720
HEIGHT = 160
PLOT_TOP = 12  # room for the peak labels


@dataclass(frozen=True)
class Bar:
    day: str
    steps: int
    users: int
    x: float
    y: float
    width: float
    height: float
    users_x: float
    users_y: float


@dataclass(frozen=True)
class ActivityChart:
    width: int
    height: int
    bars: list[Bar]
    users_points: str  # an SVG polyline's points
    max_steps: int
    max_users: int
    max_steps_label: str
    first_day: str
    last_day: str


def activity_chart(days: Sequence[DailyActivity]) -> ActivityChart:
    max_steps = max((day.total_steps for day in days), default=0)
    max_users = max((day.active_users for day in days), default=0)
    plot_height = HEIGHT - PLOT_TOP
    slot = WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = plot_height * day.total_steps / max_steps if max_steps else 0
        users_y = HEIGHT - (plot_height * day.active_users / max_users if max_users else 0)
        bars.append(
            Bar(
                day=day.day.isoformat(),
                steps=day.total_steps,
                users=day.active_users,
                x=round(index * slot + slot * 0.1, 1),
                y=round(HEIGHT - height, 1),
                width=round(slot * 0.8, 1),
                height=round(height, 1),
                users_x=round(index * slot + slot / 2, 1),
                users_y=round(users_y, 1),
            )
        )
    return ActivityChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        users_points=" ".join(f"{bar.users_x},{bar.users_y}" for bar in bars),
        max_steps=max_steps,
        max_users=max_users,
        max_steps_label=f"{max_steps:,}",
        first_day=days[0].day.isoformat() if days else "",
        last_day=days[-1].day.isoformat() if days else "",
    )
