"""Tables of the export: per-part tables and the raw data an analyst asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exports.figures import level_keys
from exports.numbers import MISSING, FigureKind, format_figure
from exports.project_data import ProjectData

TEXT = "text"
INTEGER = "integer"
DATETIME = "datetime"
FLAG = "flag"
# Rows of the criticality table in a part; the raw data sheet lists every ranked activity.
PART_CRITICALITY_ROWS = 15
_EAC_METHODS = {
    "cpi": "CPI: BAC / CPI",
    "atypical": "Atypical: AC + (BAC - EV)",
    "composite": "Composite: CPI x SPI",
    "bottom_up": "Bottom-up re-estimate",
}


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of values with a kind per column: a FigureKind value, text, integer or flag."""

    table_id: str
    title: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def format_cell(value: Any, kind: str, currency: str) -> str:
    """Return a cell as the PDF and the slides print it."""
    if value is None:
        return MISSING if kind not in (TEXT, FLAG) else ""
    if kind == TEXT:
        return str(value)
    if kind == FLAG:
        return "yes" if value else "no"
    if kind == INTEGER:
        return f"{int(value):,}"
    if kind == DATETIME:
        return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else str(value)[:10]
    return format_figure(value, FigureKind(kind), currency)


def _forecasts(report: Mapping[str, Any]) -> Table | None:
    metrics = ((report.get("metrics") or {}).get("earned_value") or {}).get("metrics") or {}
    forecasts = metrics.get("forecasts") or {}
    if not forecasts:
        return None
    rows = tuple(
        (label, values.get("eac"), values.get("etc"), values.get("vac"), values.get("tcpi"))
        for method, label in _EAC_METHODS.items()
        if (values := forecasts.get(method)) is not None
    )
    money = FigureKind.MONEY.value
    return Table(
        "forecasts",
        "Estimates at completion",
        ("Method", "EAC", "ETC", "VAC", "TCPI"),
        (TEXT, money, money, money, FigureKind.INDEX.value),
        rows,
    )


def earned_value_by_month(report: Mapping[str, Any]) -> Table | None:
    """Return the cumulative PV, EV and AC of each month, as the report stores them."""
    earned_value = (report.get("metrics") or {}).get("earned_value") or {}
    monthly = earned_value.get("monthly") or []
    if not monthly:
        return None
    money = FigureKind.MONEY.value
    return Table(
        "earned_value_by_month",
        "Earned value by month (cumulative)",
        ("Month", "Period end", "PV", "EV", "AC", "AC estimated"),
        (TEXT, FigureKind.DATE.value, money, money, money, FLAG),
        tuple(
            (
                point.get("month"),
                point.get("period_end"),
                point.get("planned_value"),
                point.get("earned_value"),
                point.get("actual_cost"),
                bool(point.get("estimated")),
            )
            for point in monthly
        ),
    )


def percentiles(report: Mapping[str, Any]) -> Table | None:
    """Return cost and finish at each confidence level of the Monte Carlo analysis."""
    monte_carlo = report.get("monte_carlo") or {}
    costs = (monte_carlo.get("cost") or {}).get("percentiles") or {}
    ratios = monte_carlo.get("budget_completion") or {}
    finishes = monte_carlo.get("schedule_completion") or {}
    # A schedule analysis has finish dates and no costs, a budget analysis the reverse.
    levels = level_keys({**costs, **finishes})
    if not levels:
        return None
    columns: list[tuple[str, str, Mapping[str, Any]]] = []
    if costs:
        columns.append(("Cost at completion", FigureKind.MONEY.value, costs))
        columns.append(("Cost / BAC", FigureKind.INDEX.value, ratios))
    if finishes:
        columns.append(("Finish date", FigureKind.DATE.value, finishes))
    return Table(
        "monte_carlo_percentiles",
        "Monte Carlo percentiles",
        ("Confidence", *(title for title, _, _ in columns)),
        (TEXT, *(kind for _, kind, _ in columns)),
        tuple(
            (level.upper(), *(values.get(level) for _, _, values in columns)) for level in levels
        ),
    )


def criticality(report: Mapping[str, Any], limit: int | None) -> Table | None:
    """Return the activities by the share of iterations they were critical in."""
    ranked = (report.get("monte_carlo") or {}).get("criticality") or []
    if not ranked:
        return None
    chosen = ranked if limit is None else ranked[:limit]
    return Table(
        "criticality",
        "Criticality index: share of simulated outcomes in which an activity was critical",
        ("Activity", "Name", "Criticality index"),
        (TEXT, TEXT, FigureKind.INDEX.value),
        tuple((item.get("code"), item.get("name"), item.get("index")) for item in chosen),
    )


def insights(report: Mapping[str, Any]) -> Table | None:
    items = report.get("insights") or []
    if not items:
        return None
    return Table(
        "insights",
        "Insights",
        ("Insight", "Category", "Type", "Priority", "Confidence", "Detail"),
        (TEXT, TEXT, TEXT, TEXT, FigureKind.INDEX.value, TEXT),
        tuple(
            (
                item.get("title"),
                item.get("category"),
                item.get("insight_type"),
                item.get("priority"),
                item.get("confidence_score"),
                item.get("content"),
            )
            for item in items
        ),
    )


def part_tables(part_id: str, report: Mapping[str, Any], currency: str) -> tuple[Table, ...]:
    """Return the tables printed in one part."""
    candidates: list[Table | None] = []
    if part_id == "budget_analysis":
        candidates = [_forecasts(report)]
    elif part_id == "earned_value_detail":
        candidates = [earned_value_by_month(report)]
    elif part_id == "risk_assessment":
        candidates = [percentiles(report), criticality(report, PART_CRITICALITY_ROWS)]
    elif part_id == "ai_insights":
        candidates = [insights(report)]
    return tuple(table for table in candidates if table is not None)


def activities(project: ProjectData, report: Mapping[str, Any] | None = None) -> Table:
    """Return every activity; with a Monte Carlo analysis, its criticality index too.

    An activity the analysis's ``criticality_index`` leaves out was critical in no
    iteration, so its index is 0.
    """
    money = FigureKind.MONEY.value
    columns: tuple[str, ...] = (
        "Activity",
        "Name",
        "WBS",
        "Status",
        "Type",
        "Complete",
        "Planned start",
        "Planned finish",
        "Actual start",
        "Actual finish",
        "Total float (days)",
        "Budget",
        "Actual cost",
        "Remaining cost",
    )
    kinds: tuple[str, ...] = (
        (TEXT, TEXT, TEXT, TEXT, TEXT, FigureKind.PERCENT.value)
        + (DATETIME,) * 4
        + (FigureKind.NUMBER.value, money, money, money)
    )
    rows: list[tuple[Any, ...]] = [
        (
            row.code,
            row.name,
            row.wbs,
            row.status,
            row.activity_type,
            row.percent_complete,
            row.planned_start,
            row.planned_finish,
            row.actual_start,
            row.actual_finish,
            row.total_float_days,
            row.budgeted_cost,
            row.actual_cost,
            row.remaining_cost,
        )
        for row in project.activities
    ]
    index = ((report or {}).get("monte_carlo") or {}).get("criticality_index")
    if isinstance(index, Mapping):
        columns += ("Criticality index",)
        kinds += (FigureKind.INDEX.value,)
        rows = [
            (*cells, float(index.get(row.activity_id, 0.0)))
            for cells, row in zip(rows, project.activities, strict=True)
        ]
    return Table("activities", "Activities", columns, kinds, tuple(rows))


def raw_tables(
    report: Mapping[str, Any], project: ProjectData | None, currency: str
) -> tuple[Table, ...]:
    """Return the raw data: activities, earned value by month, percentiles, criticality."""
    candidates = [
        activities(project, report) if project is not None else None,
        earned_value_by_month(report),
        percentiles(report),
        criticality(report, None),
    ]
    return tuple(table for table in candidates if table is not None)
