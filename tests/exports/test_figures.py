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

    monte_carlo = [key for key in figures if key.startswith(("cost_", "finish_"))]
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

    keys = [figure.key for figure in key_figures(report)]

    assert keys[-6:] == [
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
