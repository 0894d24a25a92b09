"""Chart data drawn from the report: what each chart shows, independent of any format.

Every renderer (SVG in the PDF, native charts in Excel and slides) draws these same
series, so the three formats show the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from typing import Any

from earned_value import earned_schedule
from earned_value.periods import months_between
from exports.figures import level_keys
from exports.numbers import FigureKind, compact_money


class ChartKind(StrEnum):
    LINE = "line"  # values over ordered categories
    COLUMN = "column"  # vertical bars, for histograms
    BAR = "bar"  # horizontal bars, for rankings such as the tornado


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Marker:
    """A labelled vertical line at a fractional category position.

    ``value`` names the exact figure marked (a percentile's cost or date), which can fall
    anywhere inside its category.
    """

    label: str
    position: float
    value: str | None = None

    def described(self, categories: Sequence[str]) -> str:
        """Return "label at value", naming the nearest category when there is no value."""
        at = self.value or categories[min(round(self.position), len(categories) - 1)]
        return f"{self.label} at {at}"


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: categories along x, one value per category in each series.

    ``home`` is the report section the chart belongs to.
    """

    chart_id: str
    title: str
    kind: ChartKind
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_kind: FigureKind
    y_title: str
    home: str
    markers: tuple[Marker, ...] = ()

    @property
    def point_count(self) -> int:
        """The number of finite values over all series."""
        return sum(
            1
            for series in self.series
            for value in series.values
            if value is not None and math.isfinite(value)
        )


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def ev_s_curve(earned_value: Mapping[str, Any], data_month: str) -> Chart | None:
    """Return cumulative PV, EV and AC by month, with the data date marked."""
    monthly = earned_value.get("monthly") or []
    if not monthly:
        return None
    months = tuple(str(point["month"]) for point in monthly)
    markers: tuple[Marker, ...] = ()
    if data_month in months:
        markers = (Marker("Data date", float(months.index(data_month))),)
    return Chart(
        chart_id="ev_s_curve",
        title="Planned value, earned value and actual cost (cumulative)",
        kind=ChartKind.LINE,
        categories=months,
        series=tuple(
            Series(name, tuple(_number(point.get(key)) for point in monthly))
            for name, key in (
                ("Planned value (PV)", "planned_value"),
                ("Earned value (EV)", "earned_value"),
                ("Actual cost (AC)", "actual_cost"),
            )
        ),
        value_kind=FigureKind.MONEY,
        y_title=str(earned_value.get("currency") or ""),
        home="budget_analysis",
        markers=markers,
    )


def _boundary(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year + number // 12, number % 12 + 1, 1)


def performance_trend(earned_value: Mapping[str, Any]) -> Chart | None:
    """Return cumulative CPI and SPI(t) at each month end with EV and AC, then at the data date.

    SPI(t) at a month end is the earned schedule of that month's EV on the plan's
    cumulative PV, divided by the months elapsed since the plan start.
    """
    monthly = earned_value.get("monthly") or []
    start_text = earned_value.get("plan_start")
    if not monthly or not start_text:
        return None
    start = datetime.fromisoformat(str(start_text))
    ends = [_boundary(str(point["month"])) for point in monthly]
    positions = [0.0] + [months_between(start, end) for end in ends]
    planned = [0.0] + [_number(point.get("planned_value")) or 0.0 for point in monthly]
    categories: list[str] = []
    cpi: list[float | None] = []
    spi_t: list[float | None] = []
    for point, end in zip(monthly, ends, strict=True):
        ev, ac = _number(point.get("earned_value")), _number(point.get("actual_cost"))
        elapsed = months_between(start, end)
        if ev is None or ac is None or elapsed <= 0:
            continue
        categories.append(str(point["month"]))
        cpi.append(ev / ac if ac else None)
        spi_t.append(earned_schedule(planned, ev, positions) / elapsed)
    metrics = earned_value.get("metrics") or {}
    schedule = earned_value.get("earned_schedule") or {}
    categories.append(f"Data date {str(earned_value.get('data_date', ''))[:10]}")
    cpi.append(_number(metrics.get("cpi")))
    spi_t.append(_number(schedule.get("spi_t")))
    return Chart(
        chart_id="performance_trend",
        title="Cost performance (CPI) and earned schedule (SPI(t)) trend",
        kind=ChartKind.LINE,
        categories=tuple(categories),
        series=(Series("CPI", tuple(cpi)), Series("SPI(t)", tuple(spi_t))),
        value_kind=FigureKind.INDEX,
        y_title="index",
        home="schedule_analysis",
    )


def _percentile_markers(
    edges: Sequence[float],
    percentiles: Mapping[str, Any],
    levels: Sequence[str],
    named: Callable[[float], str],
) -> tuple[Marker, ...]:
    """Place each percentile on an axis whose category i spans edges[i] to edges[i + 1].

    ``named`` writes the percentile's own value for the marker's label.
    """
    markers = []
    for level in levels:
        value = _number(percentiles.get(level))
        if value is None or len(edges) < 2:
            continue
        for index in range(len(edges) - 1):
            low, high = edges[index], edges[index + 1]
            if low <= value <= high or index == len(edges) - 2:
                share = (value - low) / (high - low) if high > low else 0.0
                position = index + min(max(share, 0.0), 1.0)
                markers.append(Marker(level.upper(), position, named(value)))
                break
    return tuple(markers)


# The levels a chart marks when the analysis has more than MAX_MARKERS of them.
LEVELS = ("p50", "p80", "p95")
MAX_MARKERS = 5


def marked_levels(percentiles: Mapping[str, Any]) -> list[str]:
    """Return the confidence levels a chart marks: every level of the analysis, up to five.

    Beyond five, labels would overlap: the usual P50, P80 and P95 are marked when present,
    otherwise five levels spread from the lowest to the highest.
    """
    present = level_keys(percentiles)
    if len(present) <= MAX_MARKERS:
        return present
    usual = [level for level in present if level in LEVELS]
    if usual:
        return usual
    step = (len(present) - 1) / (MAX_MARKERS - 1)
    return [present[round(i * step)] for i in range(MAX_MARKERS)]


def cost_histogram(monte_carlo: Mapping[str, Any], currency: str) -> Chart | None:
    """Return the simulated cost at completion as a histogram, its confidence levels marked."""
    cost = monte_carlo.get("cost") or {}
    # Generation stores null for a non-finite figure; a bin without its figures is left out.
    bins = [
        b
        for b in cost.get("histogram") or []
        if all(_number(b.get(key)) is not None for key in ("lower", "upper", "count"))
    ]
    if not bins:
        return None
    edges = [float(b["lower"]) for b in bins] + [float(bins[-1]["upper"])]
    return Chart(
        chart_id="cost_histogram",
        title=f"Cost at completion: {int(monte_carlo.get('iterations', 0)):,} simulated outcomes",
        kind=ChartKind.COLUMN,
        categories=tuple(compact_money((b["lower"] + b["upper"]) / 2, currency) for b in bins),
        series=(Series("Outcomes", tuple(float(b["count"]) for b in bins)),),
        value_kind=FigureKind.NUMBER,
        y_title="outcomes",
        home="risk_assessment",
        markers=_percentile_markers(
            edges,
            cost.get("percentiles") or {},
            marked_levels(cost.get("percentiles") or {}),
            partial(compact_money, currency=currency),
        ),
    )


def cost_s_curve(monte_carlo: Mapping[str, Any], currency: str) -> Chart | None:
    """Return the probability of finishing at or under each cost, levels marked."""
    points = [
        p
        for p in (monte_carlo.get("cost") or {}).get("s_curve") or []
        if _number(p.get("value")) is not None and _number(p.get("probability")) is not None
    ]
    if len(points) < 2:
        return None
    values = [float(point["value"]) for point in points]
    # Category i spans value i to value i + 1, so a marker lands between the points around it.
    edges = [*values, values[-1]]
    percentiles = (monte_carlo.get("cost") or {}).get("percentiles") or {}
    return Chart(
        chart_id="cost_s_curve",
        title="Probability of completing within a cost (S-curve)",
        kind=ChartKind.LINE,
        categories=tuple(compact_money(value, currency) for value in values),
        series=(Series("Probability", tuple(float(p["probability"]) for p in points)),),
        value_kind=FigureKind.PERCENT,
        y_title="probability",
        home="risk_assessment",
        markers=_percentile_markers(
            edges,
            percentiles,
            marked_levels(percentiles),
            partial(compact_money, currency=currency),
        ),
    )


def finish_s_curve(monte_carlo: Mapping[str, Any]) -> Chart | None:
    """Return the probability of finishing by each date, levels marked."""
    points = [
        p
        for p in (monte_carlo.get("schedule") or {}).get("s_curve") or []
        if p.get("date") and _number(p.get("probability")) is not None
    ]
    if len(points) < 2:
        return None
    ordinals = [float(date.fromisoformat(p["date"]).toordinal()) for p in points]
    completion = monte_carlo.get("schedule_completion") or {}
    ordinal_levels = {
        level: float(date.fromisoformat(completion[level]).toordinal())
        for level in marked_levels(completion)
        if completion.get(level)
    }
    return Chart(
        chart_id="finish_s_curve",
        title="Probability of finishing by a date (S-curve)",
        kind=ChartKind.LINE,
        categories=tuple(p["date"] for p in points),
        series=(Series("Probability", tuple(float(p["probability"]) for p in points)),),
        value_kind=FigureKind.PERCENT,
        y_title="probability",
        home="risk_assessment",
        markers=_percentile_markers(
            [*ordinals, ordinals[-1] + 1], ordinal_levels, list(ordinal_levels), _ordinal_date
        ),
    )


def _ordinal_date(ordinal: float) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def tornado(monte_carlo: Mapping[str, Any], limit: int = 10) -> Chart | None:
    """Return the sensitivity ranking of the finish date, when the analysis carries one.

    Reports written before the simulation ranked its drivers have no ``sensitivity``
    block, and then no tornado is drawn rather than one made up from other figures.
    """
    sensitivity = monte_carlo.get("sensitivity") or {}
    target, drivers = "finish date", sensitivity.get("finish") or []
    if not drivers:
        target, drivers = "cost", sensitivity.get("cost") or []
    drivers = [d for d in drivers if _number(d.get("coefficient")) is not None][:limit]
    if not drivers:
        return None
    return Chart(
        chart_id="tornado",
        title=f"Sensitivity of the {target}: rank correlation of the strongest drivers",
        kind=ChartKind.BAR,
        categories=tuple(_driver_label(d) for d in drivers),
        series=(Series("Rank correlation", tuple(float(d["coefficient"]) for d in drivers)),),
        value_kind=FigureKind.INDEX,
        y_title="rank correlation",
        home="risk_assessment",
    )


def _driver_label(driver: Mapping[str, Any]) -> str:
    name = str(driver.get("name") or "")
    code = str(driver.get("code") or "")
    label = f"{code} {name}".strip() if code and code not in name else name or code
    return label if len(label) <= 48 else label[:47] + "…"


def cost_by_wbs(rows: Sequence[tuple[str, float, float]], currency: str) -> Chart | None:
    """Return budget and actual cost by WBS element from ``(name, budget, actual)`` rows."""
    if not rows:
        return None
    return Chart(
        chart_id="cost_by_wbs",
        title="Budget and actual cost by WBS element",
        kind=ChartKind.BAR,
        categories=tuple(name if len(name) <= 48 else name[:47] + "…" for name, _, _ in rows),
        series=(
            Series("Budget (BAC)", tuple(budget for _, budget, _ in rows)),
            Series("Actual cost (AC)", tuple(actual for _, _, actual in rows)),
        ),
        value_kind=FigureKind.MONEY,
        y_title=currency,
        home="budget_analysis",
    )


def report_charts(
    document: Mapping[str, Any], wbs_rows: Sequence[tuple[str, float, float]]
) -> tuple[Chart, ...]:
    """Return every chart the report's data supports, in reading order."""
    earned_value = (document.get("metrics") or {}).get("earned_value") or {}
    currency = str(earned_value.get("currency") or "USD")
    month = str((document.get("meta") or {}).get("report_month") or "")
    monte_carlo = document.get("monte_carlo") or {}
    candidates = [
        ev_s_curve(earned_value, month) if earned_value else None,
        cost_by_wbs(wbs_rows, currency),
        performance_trend(earned_value) if earned_value else None,
        cost_histogram(monte_carlo, currency) if monte_carlo else None,
        cost_s_curve(monte_carlo, currency) if monte_carlo else None,
        finish_s_curve(monte_carlo) if monte_carlo else None,
        tornado(monte_carlo) if monte_carlo else None,
    ]
    return tuple(chart for chart in candidates if chart is not None)
