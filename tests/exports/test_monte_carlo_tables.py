"""Monte Carlo tables: percentiles of either half of the analysis, criticality per activity."""

from __future__ import annotations

from typing import Any

from exports import ProjectData
from exports.tables import activities, percentiles


def test_schedule_analysis_lists_finish_dates() -> None:
    report = {"monte_carlo": {"schedule_completion": {"p80": "2023-02-03", "p50": "2023-01-26"}}}

    table = percentiles(report)

    assert table is not None
    assert table.columns == ("Confidence", "Finish date")
    assert table.rows == (("P50", "2023-01-26"), ("P80", "2023-02-03"))


def test_budget_analysis_lists_costs() -> None:
    report = {
        "monte_carlo": {
            "cost": {"percentiles": {"p90": 120.0, "p10": 90.0}},
            "budget_completion": {"p90": 1.2, "p10": 0.9},
        }
    }

    table = percentiles(report)

    assert table is not None
    assert table.columns == ("Confidence", "Cost at completion", "Cost / BAC")
    assert table.rows == (("P10", 90.0, 0.9), ("P90", 120.0, 1.2))


def test_no_analysis_gives_no_table() -> None:
    assert percentiles({"monte_carlo": {}}) is None
    assert percentiles({}) is None


def test_activities_carry_the_criticality_index(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    report, project = sample
    index = report["monte_carlo"]["criticality_index"]

    table = activities(project, report)

    column = table.columns.index("Criticality index")
    by_id = {
        row.activity_id: cells[column]
        for row, cells in zip(project.activities, table.rows, strict=True)
    }
    assert index
    assert {key: by_id[key] for key in index} == index
    assert all(value == 0.0 for key, value in by_id.items() if key not in index)


def test_activities_without_analysis_have_no_index_column(
    sample: tuple[dict[str, Any], ProjectData],
) -> None:
    table = activities(sample[1], {})

    assert "Criticality index" not in table.columns
    assert len(table.columns) == len(table.rows[0])
