"""Resource insights: cost at completion at the rates paid, rate overruns and overloads."""

from __future__ import annotations

from insights.confidence import forecast_confidence, overload_confidence, threshold_confidence
from insights.facts import ReportFacts, ResourceLoad
from insights.loading import month_key
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.text import money, percent

_LISTED = 10


def resource_insights(
    facts: ReportFacts, thresholds: Thresholds, horizon_months: int
) -> list[Insight]:
    """Return the resource cost forecast and the rate and overload alerts."""
    insights: list[Insight] = []
    forecast = _cost_forecast(facts)
    if forecast is not None:
        insights.append(forecast)
    insights.extend(_rate_alert(facts, thresholds))
    insights.extend(_overload_alert(facts, thresholds, horizon_months))
    return insights


def _rated(facts: ReportFacts) -> list[ResourceLoad]:
    """Resources with work done and work left, whose unit rates can be compared."""
    return [
        load
        for load in facts.resources.loads
        if load.actual_units > 0 and load.remaining_units > 0 and load.budgeted_rate
    ]


def _rate_eac(load: ResourceLoad) -> float:
    return load.actual_cost + load.remaining_units * (load.actual_rate or 0.0)


def _cost_forecast(facts: ReportFacts) -> Insight | None:
    rated = _rated(facts)
    if not rated:
        return None
    at_rates = sum(_rate_eac(load) for load in rated)
    as_planned = sum(load.actual_cost + load.remaining_cost for load in rated)
    budget = sum(load.budgeted_cost for load in rated)
    spent = sum(load.actual_cost for load in rated)
    worked = spent / (spent + sum(load.remaining_cost for load in rated) or 1.0)
    return Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.RESOURCE,
        title="Resource cost at completion",
        content=(
            f"At the unit rates paid so far, the {len(rated)} resources with work in hand "
            f"will cost {money(at_rates, facts.currency)} at completion, against "
            f"{money(as_planned, facts.currency)} in the schedule's remaining costs and a "
            f"budget of {money(budget, facts.currency)}."
        ),
        confidence_score=forecast_confidence([at_rates, as_planned], worked),
        supporting_data={
            "source": "resource assignments: budgeted, actual and remaining cost and units",
            "at_paid_rates": at_rates,
            "at_scheduled_costs": as_planned,
            "budget": budget,
            "interval": {"low": min(at_rates, as_planned), "high": max(at_rates, as_planned)},
            "share_spent": worked,
            "resources": [load.resource_id for load in rated[:_LISTED]],
        },
        priority=Priority.HIGH if at_rates > budget * 1.10 else Priority.MEDIUM,
        predicted_impact=f"{money(at_rates - budget, facts.currency)} against the budget",
    )


def _rate_ratio(load: ResourceLoad) -> float:
    """Actual cost per unit over budgeted cost per unit; 0 when either is unknown."""
    if not load.actual_rate or not load.budgeted_rate:
        return 0.0
    return load.actual_rate / load.budgeted_rate


def _rate_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    limit = 1.0 + thresholds.unit_rate_tolerance
    over = [
        load
        for load in facts.resources.loads
        if load.actual_rate
        and load.budgeted_rate
        and load.actual_rate / load.budgeted_rate > limit
    ]
    if not over:
        return []
    over.sort(key=lambda load: -(load.actual_rate or 0) / (load.budgeted_rate or 1))
    worst = over[0]
    ratio = (worst.actual_rate or 0.0) / (worst.budgeted_rate or 1.0)
    extra = sum(
        ((load.actual_rate or 0) - (load.budgeted_rate or 0)) * load.actual_units for load in over
    )
    spent = sum(load.actual_cost for load in over)
    total = spent + sum(load.remaining_cost for load in over)
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.RESOURCE,
        title="Unit rates above budget",
        content=(
            f"{len(over)} resources cost more per unit than budgeted; {worst.name} by "
            f"{percent(ratio - 1)}. The excess paid so far is {money(extra, facts.currency)}."
        ),
        confidence_score=threshold_confidence(ratio, limit, spent / total if total else None),
        supporting_data={
            "source": "resource assignments: actual cost per actual unit against budget",
            "resources": [
                {
                    "resource_id": load.resource_id,
                    "name": load.name,
                    "budgeted_rate": load.budgeted_rate,
                    "actual_rate": load.actual_rate,
                    "actual_units": load.actual_units,
                }
                for load in over[:_LISTED]
            ],
            "tolerance": thresholds.unit_rate_tolerance,
        },
        priority=Priority.MEDIUM,
        predicted_impact=f"{money(extra, facts.currency)} paid above the budgeted rates",
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.RESOURCE,
        title="Renegotiate or re-estimate the overrunning rates",
        content=(
            f"Check the rates of {worst.name} and the other flagged resources against their "
            "contracts, and carry the rates actually paid into the estimate to complete."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={
            "alert_id": alert.insight_id,
            "resources": [load.resource_id for load in over[:_LISTED]],
        },
        priority=Priority.MEDIUM,
        recommended_actions=(
            f"Review the rate card of {worst.name}",
            "Update the remaining costs of the flagged assignments to the rates paid",
        ),
    )
    return [alert, recommendation]


def _horizon(facts: ReportFacts, months: int) -> set[str]:
    start = facts.schedule.data_date
    index = start.year * 12 + start.month - 1
    return {
        f"{(index + offset) // 12:04d}-{(index + offset) % 12 + 1:02d}"
        for offset in range(months + 1)
    } | {month_key(start)}


def _overload_alert(
    facts: ReportFacts, thresholds: Thresholds, horizon_months: int
) -> list[Insight]:
    window = _horizon(facts, horizon_months)
    overloaded: list[tuple[float, str, float, ResourceLoad]] = []
    for load in facts.resources.loads:
        if not load.demonstrated_rate or load.history_months == 0:
            continue
        peaks = [(units, month) for month, units in load.demand if month in window]
        if not peaks:
            continue
        units, month = max(peaks)
        ratio = units / load.demonstrated_rate
        if ratio > thresholds.resource_peak_ratio:
            overloaded.append((ratio, month, units, load))
    if not overloaded:
        return []
    overloaded.sort(key=lambda item: -item[0])
    ratio, month, units, worst = overloaded[0]
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.RESOURCE,
        title="Resources over-allocated",
        content=(
            f"{len(overloaded)} {'resource is' if len(overloaded) == 1 else 'resources are'} "
            "loaded beyond the best month so far within "
            f"{horizon_months} months; {worst.name} needs {ratio:.1f} times its best month "
            f"in {month}."
        ),
        confidence_score=overload_confidence(
            ratio, thresholds.resource_peak_ratio, worst.history_months
        ),
        supporting_data={
            "source": "remaining units of the assignments over the forecast dates, against "
            "the most units each resource delivered in one month so far",
            "resources": [
                {
                    "resource_id": load.resource_id,
                    "name": load.name,
                    "month": peak_month,
                    "demand_units": peak_units,
                    "demonstrated_units_per_month": load.demonstrated_rate,
                    "ratio": round(peak_ratio, 3),
                    "history_months": load.history_months,
                }
                for peak_ratio, peak_month, peak_units, load in overloaded[:_LISTED]
            ],
            "limit_ratio": thresholds.resource_peak_ratio,
            "horizon_months": horizon_months,
        },
        priority=Priority.HIGH if ratio > 2 * thresholds.resource_peak_ratio else Priority.MEDIUM,
        predicted_impact=f"{worst.name}: {units:,.0f} units due in {month}",
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.RESOURCE,
        title="Level the over-allocated resources",
        content=(
            f"Level {worst.name} and the other flagged resources: move work with float out of "
            f"{month} or secure extra capacity before it starts."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={
            "alert_id": alert.insight_id,
            "resources": [item[3].resource_id for item in overloaded[:_LISTED]],
        },
        priority=alert.priority,
        recommended_actions=(
            f"Confirm the capacity {worst.name} can provide in {month}",
            "Delay non-critical assignments within their float",
        ),
    )
    return [alert, recommendation]
