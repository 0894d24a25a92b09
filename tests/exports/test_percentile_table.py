"""The Monte Carlo percentiles table lists whichever half the analysis produced."""

from __future__ import annotations

from exports.tables import percentiles


def test_schedule_analysis_lists_finish_dates() -> None:
    report = {"monte_carlo": {"schedule_completion": {"p80": "2023-02-03", "p50": "2023-01-26"}}}

    table = percentiles(report)

    assert table is not None
    assert table.rows == (("P50", None, None, "2023-01-26"), ("P80", None, None, "2023-02-03"))


def test_budget_analysis_lists_costs() -> None:
    report = {
        "monte_carlo": {
            "cost": {"percentiles": {"p90": 120.0, "p10": 90.0}},
            "budget_completion": {"p90": 1.2, "p10": 0.9},
        }
    }

    table = percentiles(report)

    assert table is not None
    assert table.rows == (("P10", 90.0, 0.9, None), ("P90", 120.0, 1.2, None))


def test_no_analysis_gives_no_table() -> None:
    assert percentiles({"monte_carlo": {}}) is None
    assert percentiles({}) is None
