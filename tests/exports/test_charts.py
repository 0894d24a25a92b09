"""Chart markers name the figures they mark, not the category they fall in."""

from __future__ import annotations

from typing import Any

from exports import ProjectData
from exports.charts import cost_histogram, cost_s_curve, finish_s_curve
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
