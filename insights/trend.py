"""Trends over the monthly history: how cost efficiency moved and where it is heading.

Only months with reported figures count: months whose EV and AC were estimated by spreading
the totals over time say nothing about a trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from insights.confidence import trend_confidence
from insights.facts import EarnedValueFacts, ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.text import money


@dataclass(frozen=True, slots=True)
class CostTrend:
    """Cumulative CPI month by month, its straight-line fit and the recent CPI."""

    months: tuple[str, ...]
    cpi: tuple[float, ...]
    slope_per_month: float
    r_squared: float
    recent_cpi: float | None
    recent_months: int

    def projected_cpi(self, months_ahead: int) -> float:
        return self.cpi[-1] + self.slope_per_month * months_ahead


def linear_fit(values: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line through (0, v0), (1, v1), ...; return slope, intercept and R²."""
    count = len(values)
    xs = range(count)
    x_mean, y_mean = (count - 1) / 2, fmean(values)
    sxx = sum((x - x_mean) ** 2 for x in xs)
    sxy = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, values, strict=True))
    slope = sxy / sxx if sxx else 0.0
    intercept = y_mean - slope * x_mean
    total = sum((y - y_mean) ** 2 for y in values)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, values, strict=True))
    # A flat series is explained perfectly by a flat line.
    r_squared = 1.0 - residual / total if total else 1.0
    return slope, intercept, r_squared


def cost_trend(ev: EarnedValueFacts, window: int) -> CostTrend | None:
    """Return the CPI trend over the reported months, or None with fewer than three."""
    reported = [
        month
        for month in ev.monthly
        if not month.estimated and month.ev is not None and month.ac is not None and month.ac > 0
    ]
    if len(reported) < 3:
        return None
    cpi = [(month.ev or 0.0) / (month.ac or 1.0) for month in reported]
    slope, _, r_squared = linear_fit(cpi)
    recent_cpi = None
    span = min(window, len(reported) - 1)
    last, first = reported[-1], reported[-1 - span]
    spent = (last.ac or 0.0) - (first.ac or 0.0)
    if spent > 0:
        recent_cpi = ((last.ev or 0.0) - (first.ev or 0.0)) / spent
    return CostTrend(
        months=tuple(month.month for month in reported),
        cpi=tuple(cpi),
        slope_per_month=slope,
        r_squared=r_squared,
        recent_cpi=recent_cpi,
        recent_months=span,
    )


def recent_eac(ev: EarnedValueFacts, trend: CostTrend | None) -> float | None:
    """EAC with the remaining work done at the recent CPI: AC + (BAC - EV) / CPI_recent."""
    if trend is None or not trend.recent_cpi:
        return None
    return ev.ac + (ev.bac - ev.ev) / trend.recent_cpi


def trend_insights(
    facts: ReportFacts, thresholds: Thresholds, horizon_months: int
) -> list[Insight]:
    """Return the CPI trend prediction and, when efficiency is falling, its alert."""
    ev = facts.earned_value
    trend = cost_trend(ev, thresholds.trend_months)
    if trend is None:
        return []
    projected = trend.projected_cpi(horizon_months)
    confidence = trend_confidence(trend.r_squared, len(trend.cpi))
    data = {
        "source": "reported monthly earned value and actual cost",
        "months": list(trend.months),
        "historical_cpi": [round(value, 4) for value in trend.cpi],
        "slope_per_month": round(trend.slope_per_month, 4),
        "r_squared": round(trend.r_squared, 4),
        "trend_analysis": "decreasing" if trend.slope_per_month < 0 else "increasing",
        "recent_cpi": trend.recent_cpi,
        "recent_months": trend.recent_months,
        "projected_cpi": round(projected, 4),
        "horizon_months": horizon_months,
    }
    prediction = Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.BUDGET,
        title="Cost efficiency trend",
        content=(
            f"Cumulative CPI moved from {trend.cpi[0]:.2f} to {trend.cpi[-1]:.2f} over "
            f"{len(trend.cpi)} reported months. On this trend it would be {projected:.2f} "
            f"in {horizon_months} months."
        ),
        confidence_score=confidence,
        supporting_data=data,
        priority=Priority.MEDIUM,
        predicted_impact=_recent_impact(facts, trend),
    )
    insights = [prediction]
    falling = trend.slope_per_month < 0 and projected < thresholds.index_green
    if falling:
        insights.extend(_declining_alert(facts, trend, projected, confidence, data))
    return insights


def _recent_impact(facts: ReportFacts, trend: CostTrend) -> str | None:
    eac = recent_eac(facts.earned_value, trend)
    if eac is None or trend.recent_cpi is None:
        return None
    return (
        f"EAC of {money(eac, facts.currency)} at the CPI of {trend.recent_cpi:.2f} of the last "
        f"{trend.recent_months} months"
    )


def _declining_alert(
    facts: ReportFacts,
    trend: CostTrend,
    projected: float,
    confidence: float,
    data: dict[str, object],
) -> list[Insight]:
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.BUDGET,
        title="Cost efficiency declining",
        content=(
            f"Cumulative CPI falls by {abs(trend.slope_per_month):.3f} a month and is heading "
            f"for {projected:.2f}, below the target line."
        ),
        confidence_score=confidence,
        supporting_data=data,
        priority=Priority.HIGH,
        predicted_impact=_recent_impact(facts, trend),
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.BUDGET,
        title="Act on the falling cost efficiency",
        content=(
            "Find what changed in the months where CPI fell and correct it before the "
            "trend sets the final cost."
        ),
        confidence_score=confidence,
        supporting_data={"alert_id": alert.insight_id, "historical_cpi": data["historical_cpi"]},
        priority=Priority.HIGH,
        recommended_actions=(
            "Compare this month's cost accounts with those of the first reported months",
            "Check whether recent actual costs include accruals for work not yet earned",
        ),
    )
    return [alert, recommendation]
