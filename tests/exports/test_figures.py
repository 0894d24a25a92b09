"""Headline figures: the Monte Carlo lines follow the confidence levels of the analysis."""

from __future__ import annotations

from typing import Any

from exports.figures import key_figures


def report_with_levels(levels: dict[str, tuple[float, str]]) -> dict[str, Any]:
    return {
        "metrics": {"earned_value": {"currency": "EUR", "metrics": {"bac": 1000.0}}},
        "monte_carlo": {
            "cost": {"percentiles": {key: cost for key, (cost, _) in levels.items()}},
            "schedule_completion": {key: day for key, (_, day) in levels.items()},
        },
    }


def test_custom_levels_print_their_own_figures() -> None:
    report = report_with_levels(
        {"p90": (1200.0, "2024-06-28"), "p10": (900.0, "2024-05-31"), "p97.5": (1300.0, "")}
    )

    figures = {figure.key: figure for figure in key_figures(report)}

    monte_carlo = [key for key in figures if key.startswith(("cost_p", "finish_p"))]
    assert monte_carlo == [
        "cost_p10", "cost_p90", "cost_p97.5", "finish_p10", "finish_p90", "finish_p97.5"
    ]  # fmt: skip
    assert figures["cost_p90"].label == "P90 cost at completion"
    assert figures["cost_p90"].value == 1200.0
    assert figures["finish_p10"].text == "2024-05-31"


def test_default_levels_keep_their_keys() -> None:
    report = report_with_levels(
        {"p50": (1.0, "2024-05-01"), "p80": (2.0, "2024-05-02"), "p95": (3.0, "2024-05-03")}
    )

    keys = [figure.key for figure in key_figures(report) if "_p" in figure.key]

    assert keys == [
        "cost_p50",
        "cost_p80",
        "cost_p95",
        "finish_p50",
        "finish_p80",
        "finish_p95",
    ]


def test_report_without_monte_carlo_has_no_percentiles() -> None:
    report = report_with_levels({})
    del report["monte_carlo"]

    keys = [figure.key for figure in key_figures(report)]

    assert "bac" in keys
    assert not [key for key in keys if key.startswith(("cost_", "finish_"))]


def test_spread_figures_follow_the_percentiles() -> None:
    report = report_with_levels({"p50": (1.0, "2024-05-01")})
    report["monte_carlo"]["cost"].update(mean=1100.5, standard_deviation=40.25)
    report["monte_carlo"]["schedule"] = {
        "mean_hours": 812.0,
        "standard_deviation_hours": 16.5,
        "merge_bias_hours": 9.75,
    }

    figures = {figure.key: figure.text for figure in key_figures(report)}

    assert figures["cost_mean"] == "€1,100.50"
    assert figures["cost_standard_deviation"] == "€40.25"
    assert figures["finish_mean_hours"] == "812.00"
    assert figures["finish_standard_deviation_hours"] == "16.50"
    assert figures["merge_bias_hours"] == "9.75"
    assert list(figures)[-5:] == [
        "cost_mean",
        "cost_standard_deviation",
        "finish_mean_hours",
        "finish_standard_deviation_hours",
        "merge_bias_hours",
    ]
