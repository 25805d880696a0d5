"""The personal page's geometry (steps.personal_chart): plain numbers, no database."""

from datetime import date, timedelta

import pytest

from steps.personal_chart import CHART_HEIGHT, CHART_WIDTH, PLOT_TOP, ZERO_BAR_HEIGHT, day_chart, progress_ring
from steps.selectors import DaySteps

BASELINE = CHART_HEIGHT - 24


def days_of(first: date, steps: list[int | None], goals: list[int] | None = None) -> list[DaySteps]:
    goals = goals or [10_000] * len(steps)
    return [
        DaySteps(
            day=first + timedelta(days=i),
            steps=value,
            goal=goals[i],
            goal_reached=None if value is None else value >= goals[i],
        )
        for i, value in enumerate(steps)
    ]


def test_the_ring_fills_in_proportion_and_stops_at_a_full_circle():
    half = progress_ring(steps=5_000, goal=10_000)
    assert half.percent == 50
    assert half.filled == round(half.circumference / 2, 2)
    assert not half.reached

    over = progress_ring(steps=25_000, goal=10_000)
    assert over.percent == 250  # the number says how far past the goal
    assert over.filled == over.circumference  # the arc cannot go round twice
    assert over.reached


def test_the_ring_of_a_day_without_steps_is_empty():
    ring = progress_ring(steps=0, goal=10_000)
    assert ring.filled == 0
    assert ring.percent == 0
    assert ring.dasharray == f"0.0 {ring.circumference}"


def test_a_day_without_data_is_a_gap_not_a_zero_bar():
    chart = day_chart(days_of(date(2026, 11, 1), [None, 0, 5_000]))
    gap, zero, walked = chart.bars
    assert gap.is_gap and not zero.is_gap
    assert zero.height == ZERO_BAR_HEIGHT  # a sliver on the baseline: "walked nothing"
    assert zero.y == BASELINE - ZERO_BAR_HEIGHT
    # The gap's marker is a small square standing on the baseline, drawn differently by the template.
    assert 0 < gap.height <= gap.width
    assert gap.y + gap.height == BASELINE
    assert chart.gaps == 1
    assert walked.height > zero.height


def test_bars_scale_to_the_taller_of_the_best_day_and_the_goal():
    chart = day_chart(days_of(date(2026, 11, 1), [1_000, 2_000]))
    # The goal (10,000) is above both days: it sets the scale, and stays inside the plot.
    assert chart.scale_max == 11_000
    assert chart.goal_segments[0].y > PLOT_TOP
    assert chart.bars[1].height == pytest.approx(chart.bars[0].height * 2, abs=0.2)


def test_a_huge_day_stays_inside_the_picture():
    chart = day_chart(days_of(date(2026, 11, 1), [10_000_000, 3_000]))
    huge = chart.bars[0]
    assert huge.y >= PLOT_TOP
    assert huge.y + huge.height == BASELINE
    # Next to it the goal line sits near the floor but still above it.
    assert PLOT_TOP < chart.goal_segments[0].y < BASELINE


def test_the_goal_line_steps_where_the_goal_changed():
    chart = day_chart(days_of(date(2026, 11, 1), [8_000] * 4, goals=[6_000, 6_000, 10_000, 10_000]))
    low, high = chart.goal_segments
    assert (low.goal, low.start, low.end) == (6_000, date(2026, 11, 1), date(2026, 11, 2))
    assert (high.goal, high.start, high.end) == (10_000, date(2026, 11, 3), date(2026, 11, 4))
    assert high.y < low.y  # a higher goal is drawn higher
    assert low.x2 == high.x1 == CHART_WIDTH / 2
    assert chart.goal_path == f"M0.0,{low.y} H{low.x2} V{high.y} H{float(CHART_WIDTH)}"
    # Each day's bar is judged by its own day's goal.
    assert [bar.reached for bar in chart.bars] == [True, True, False, False]


def test_thirty_days_across_a_month_end_and_a_clock_change_are_thirty_even_slots():
    # 2026-10-15 .. 2026-11-13: October ends, and Europe and the US leave summer time.
    first = date(2026, 10, 15)
    chart = day_chart(days_of(first, [7_000] * 30))
    assert len(chart.bars) == 30
    assert (chart.first_day, chart.last_day) == (first, date(2026, 11, 13))
    spacing = {round(b.x - a.x, 1) for a, b in zip(chart.bars, chart.bars[1:], strict=False)}
    assert spacing == {round(CHART_WIDTH / 30, 1)}
    labels = {bar.day: bar.label for bar in chart.bars if bar.label}
    assert labels[date(2026, 11, 1)] == "11/1"  # the month's first day is always named
    assert labels[date(2026, 11, 13)] == "11/13"  # and the last day, with every 7th before it
    assert labels[date(2026, 11, 6)] == "11/6"


def test_no_days_at_all_draws_an_empty_chart():
    chart = day_chart([])
    assert chart.bars == [] and chart.goal_segments == [] and chart.goal_path == ""
    assert chart.first_day is None


def test_the_outermost_day_labels_lean_inwards_so_they_are_not_cut_off():
    chart = day_chart(days_of(date(2026, 11, 1), [1_000] * 30))
    first, last = chart.bars[0], chart.bars[-1]
    assert (first.label_anchor, last.label_anchor) == ("start", "end")
    assert last.label_x < CHART_WIDTH
    assert {bar.label_anchor for bar in chart.bars[1:-1]} == {"middle"}
