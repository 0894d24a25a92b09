"""Chart markers name the figures they mark, not the category they fall in."""

from __future__ import annotations

import copy
from typing import Any

from exports import ProjectData
from exports.charts import cost_histogram, cost_s_curve, finish_s_curve, marked_levels
from exports.numbers import compact_money


def test_cost_markers_name_the_percentile_costs(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    monte_carlo = sample[0]["monte_carlo"]
    percentiles = monte_carlo["cost"]["percentiles"]
    levels = ("p50", "p80", "p95")
    expected = [
        f"{level.upper()} at {compact_money(percentiles[level], 'GBP')}" for level in levels
    ]

    for chart in (cost_histogram(monte_carlo, "GBP"), cost_s_curve(monte_carlo, "GBP")):
        assert chart is not None
        assert [m.described(chart.categories) for m in chart.markers] == expected


def test_finish_markers_name_the_percentile_dates(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    monte_carlo = sample[0]["monte_carlo"]
    completion = monte_carlo["schedule_completion"]

    chart = finish_s_curve(monte_carlo)

    assert chart is not None
    assert [m.described(chart.categories) for m in chart.markers] == [
        f"{level.upper()} at {completion[level]}" for level in ("p50", "p80", "p95")
    ]


def test_markers_follow_the_analysis_levels(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    monte_carlo = dict(sample[0]["monte_carlo"])
    cost = dict(monte_carlo["cost"])
    # The same values under other level names, as an analysis at P10 and P90 stores them.
    cost["percentiles"] = {"p90": cost["percentiles"]["p80"], "p10": cost["percentiles"]["p50"]}
    completion = monte_carlo["schedule_completion"]
    monte_carlo["schedule_completion"] = {"p10": completion["p50"], "p90": completion["p80"]}
    monte_carlo["cost"] = cost

    histogram = cost_histogram(monte_carlo, "GBP")
    finish = finish_s_curve(monte_carlo)

    assert histogram is not None
    assert [m.label for m in histogram.markers] == ["P10", "P90"]
    assert finish is not None
    assert [m.described(finish.categories) for m in finish.markers] == [
        f"P10 at {completion['p50']}",
        f"P90 at {completion['p80']}",
    ]


def test_many_levels_mark_the_usual_three() -> None:
    levels = {f"p{n}": float(n) for n in (5, 10, 25, 50, 75, 80, 90, 95)}

    assert marked_levels(levels) == ["p50", "p80", "p95"]


def test_many_unusual_levels_mark_five_spread() -> None:
    levels = {f"p{n}": float(n) for n in (10, 20, 30, 40, 60, 70, 90)}

    assert marked_levels(levels) == ["p10", "p30", "p40", "p60", "p90"]


def test_null_figures_leave_their_points_out(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    monte_carlo = copy.deepcopy(sample[0]["monte_carlo"])
    cost = monte_carlo["cost"]
    bins, cost_points = len(cost["histogram"]), len(cost["s_curve"])
    finish_points = len(monte_carlo["schedule"]["s_curve"])
    # Generation stores null for a figure that came out infinite.
    cost["histogram"][0]["lower"] = None
    cost["s_curve"][1]["value"] = None
    monte_carlo["schedule"]["s_curve"][2]["probability"] = None

    histogram = cost_histogram(monte_carlo, "GBP")
    cost_curve = cost_s_curve(monte_carlo, "GBP")
    finish_curve = finish_s_curve(monte_carlo)

    assert histogram is not None
    assert len(histogram.categories) == bins - 1
    assert cost_curve is not None
    assert len(cost_curve.categories) == cost_points - 1
    assert finish_curve is not None
    assert len(finish_curve.categories) == finish_points - 1
