"""Geometry of the personal page's pictures: today's progress ring and the
30-day bar chart with each day's own goal. Plain numbers for the template to
draw as inline SVG (presentation attributes only: the pages' CSP allows no
style attributes and no scripts it did not serve)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .selectors import DaySteps

RING_SIZE = 160
RING_RADIUS = 64
RING_STROKE = 16

CHART_WIDTH = 720
CHART_HEIGHT = 200
PLOT_TOP = 16  # room above the tallest bar or goal for its label
AXIS_BOTTOM = 24  # room below the baseline for the day labels
# A day synced as 0 still gets a sliver of bar, so it reads as "walked nothing",
# which is not the same as a gap ("nothing synced").
ZERO_BAR_HEIGHT = 2
GAP_MARKER_MAX = 14
# The scale leaves this much headroom over the taller of the best day and the goal.
HEADROOM = 1.1


@dataclass(frozen=True)
class Ring:
    size: int
    center: float
    radius: int
    stroke: int
    circumference: float
    filled: float  # length of the arc drawn, at most the whole circle
    percent: int  # may pass 100
    steps: int
    goal: int
    reached: bool

    @property
    def dasharray(self) -> str:
        return f"{self.filled} {self.circumference}"


def progress_ring(*, steps: int, goal: int) -> Ring:
    circumference = round(2 * math.pi * RING_RADIUS, 2)
    share = steps / goal if goal > 0 else 0.0
    return Ring(
        size=RING_SIZE,
        center=RING_SIZE / 2,
        radius=RING_RADIUS,
        stroke=RING_STROKE,
        circumference=circumference,
        filled=round(circumference * min(max(share, 0.0), 1.0), 2),
        percent=math.floor(share * 100),
        steps=steps,
        goal=goal,
        reached=goal > 0 and steps >= goal,
    )


@dataclass(frozen=True)
class DayBar:
    day: date
    steps: int | None  # None: nothing synced (a gap, drawn as a marker, not a bar)
    goal: int
    reached: bool | None
    x: float  # left edge of the bar (or the gap marker)
    width: float
    y: float  # top of the bar; for a gap, where its marker sits
    height: float
    center: float
    label: str  # the day label under the axis; empty for most days
    label_x: float
    label_anchor: str  # SVG text-anchor: the outermost labels lean inwards, so they are not cut off

    @property
    def is_gap(self) -> bool:
        return self.steps is None


@dataclass(frozen=True)
class GoalSegment:
    """One stretch of days with the same goal, as a horizontal line."""

    goal: int
    x1: float
    x2: float
    y: float
    start: date
    end: date


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    baseline: float
    bars: list[DayBar]
    goal_segments: list[GoalSegment]
    goal_path: str  # one SVG path through every segment, stepping where the goal changed
    scale_max: int
    gaps: int
    first_day: date | None
    last_day: date | None


def _day_label(day: date, index: int, count: int) -> str:
    # Every seventh day counted back from the last, and every 1st of a month,
    # so a month end inside the window is visible.
    if day.day == 1 or (count - 1 - index) % 7 == 0:
        return f"{day.month}/{day.day}"
    return ""


def _label_place(index: int, count: int, slot: float) -> tuple[float, str]:
    if index == count - 1:
        return CHART_WIDTH - 2, "end"
    if index == 0:
        return 2, "start"
    return round(index * slot + slot / 2, 1), "middle"


def day_chart(days: Sequence[DaySteps]) -> DayChart:
    """``days`` oldest first, as ``steps.selectors.day_history`` gives them."""
    baseline = CHART_HEIGHT - AXIS_BOTTOM
    plot_height = baseline - PLOT_TOP
    tallest = max([*(day.steps or 0 for day in days), *(day.goal for day in days)], default=0)
    scale_max = max(math.ceil(tallest * HEADROOM), 1)
    slot = CHART_WIDTH / max(len(days), 1)

    def y_of(value: int) -> float:
        return round(baseline - plot_height * min(value, scale_max) / scale_max, 1)

    bars = []
    for index, day in enumerate(days):
        x, width = round(index * slot + slot * 0.15, 1), round(slot * 0.7, 1)
        label_x, label_anchor = _label_place(index, len(days), slot)
        if day.steps is None:
            height = min(width, GAP_MARKER_MAX)  # a small square marker standing on the baseline
            top = baseline - height
        else:
            top = y_of(day.steps)
            height = round(baseline - top, 1)
            if height < ZERO_BAR_HEIGHT:
                top, height = baseline - ZERO_BAR_HEIGHT, ZERO_BAR_HEIGHT
        bars.append(
            DayBar(
                day=day.day,
                steps=day.steps,
                goal=day.goal,
                reached=day.goal_reached,
                x=x,
                width=width,
                y=round(top, 1),
                height=round(height, 1),
                center=round(index * slot + slot / 2, 1),
                label=_day_label(day.day, index, len(days)),
                label_x=label_x,
                label_anchor=label_anchor,
            )
        )

    segments: list[GoalSegment] = []
    for index, day in enumerate(days):
        x1, x2 = round(index * slot, 1), round((index + 1) * slot, 1)
        if segments and segments[-1].goal == day.goal:
            last = segments[-1]
            segments[-1] = GoalSegment(goal=last.goal, x1=last.x1, x2=x2, y=last.y, start=last.start, end=day.day)
        else:
            segments.append(GoalSegment(goal=day.goal, x1=x1, x2=x2, y=y_of(day.goal), start=day.day, end=day.day))
    path = ""
    for segment in segments:
        path += f"M{segment.x1},{segment.y} H{segment.x2} " if not path else f"V{segment.y} H{segment.x2} "
    return DayChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        baseline=baseline,
        bars=bars,
        goal_segments=segments,
        goal_path=path.strip(),
        scale_max=scale_max,
        gaps=sum(1 for day in days if day.steps is None),
        first_day=days[0].day if days else None,
        last_day=days[-1].day if days else None,
    )
