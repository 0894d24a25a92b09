"""Budget insights: the cost forecast, cost performance alerts and what to do about them."""

from __future__ import annotations

from insights.confidence import forecast_confidence, probability_confidence, threshold_confidence
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.text import money, percent
from insights.trend import cost_trend, recent_eac


def budget_insights(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    """Return the cost forecast, CPI and TCPI alerts with their recommendations."""
    insights = [_cost_forecast(facts, thresholds)]
    insights.extend(_cpi_alert(facts, thresholds))
    insights.extend(_tcpi_alert(facts, thresholds))
    simulation = facts.simulation
    if (
        simulation is not None
        and simulation.probability_within_budget is not None
        and facts.earned_value.bac > 0
    ):
        insights.append(_overrun_probability(facts))
    return [insight for insight in insights if insight is not None]


def _cost_estimates(facts: ReportFacts, thresholds: Thresholds) -> dict[str, float]:
    ev = facts.earned_value
    estimates = {method: value for method, value in ev.eac.items() if value is not None}
    recent = recent_eac(ev, cost_trend(ev, thresholds.trend_months))
    if recent is not None:
        estimates["recent_cpi"] = recent
    return estimates


def _simulated_costs(facts: ReportFacts) -> dict[str, float]:
    simulation = facts.simulation
    if simulation is None:
        return {}
    bac = facts.earned_value.bac
    return {f"monte_carlo_{key}": ratio * bac for key, ratio in simulation.cost_ratio.items()}


def _cost_forecast(facts: ReportFacts, thresholds: Thresholds) -> Insight | None:
    ev = facts.earned_value
    estimates = _cost_estimates(facts, thresholds)
    if not estimates or ev.bac <= 0:
        return None
    simulated = _simulated_costs(facts)
    # The interval spans the earned value methods and the simulation's P50 to P95.
    bounds = [*estimates.values(), *simulated.values()]
    low, high = min(bounds), max(bounds)
    primary = estimates.get("cpi", max(estimates.values()))
    variance = (primary - ev.bac) / ev.bac
    direction = "over" if variance > 0 else "under"
    content = (
        f"At the current cost efficiency the project is forecast to cost "
        f"{money(primary, facts.currency)}, {percent(abs(variance))} "
        f"{direction} the budget of {money(ev.bac, facts.currency)}. The forecasts range "
        f"from {money(low, facts.currency)} to {money(high, facts.currency)}."
    )
    compared = list(estimates.values())
    if "monte_carlo_p50" in simulated:
        compared.append(simulated["monte_carlo_p50"])
    return Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.BUDGET,
        title="Cost at completion forecast",
        content=content,
        confidence_score=forecast_confidence(compared, ev.percent_complete),
        supporting_data={
            "source": "earned value at the data date, monthly history and simulation",
            "budget_at_completion": ev.bac,
            "estimate_at_completion": estimates,
            "simulated_cost": simulated,
            "interval": {"low": low, "high": high},
            "cpi": ev.cpi,
            "percent_complete": ev.percent_complete,
        },
        priority=Priority.HIGH if variance > 0.10 else Priority.MEDIUM,
        predicted_impact=(f"{money(primary - ev.bac, facts.currency)} variance at completion"),
    )


def _cpi_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    ev = facts.earned_value
    if ev.cpi is None or ev.cpi >= thresholds.index_green:
        return []
    red = ev.cpi < thresholds.index_red
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.BUDGET,
        title="Cost performance below target",
        content=(
            f"CPI is {ev.cpi:.2f}: each unit of money spent earned {ev.cpi:.2f} units of "
            f"planned value. The cost variance is {money(ev.cv, facts.currency)}."
        ),
        confidence_score=threshold_confidence(ev.cpi, thresholds.index_green, ev.percent_complete),
        supporting_data={
            "source": "earned value at the data date",
            "cpi": ev.cpi,
            "earned_value": ev.ev,
            "actual_cost": ev.ac,
            "cost_variance": ev.cv,
            "threshold_green": thresholds.index_green,
            "threshold_red": thresholds.index_red,
        },
        priority=Priority.CRITICAL if red else Priority.HIGH,
        predicted_impact=(
            f"overrun of {money(-(ev.vac_cpi or 0.0), facts.currency)} if the trend holds"
        ),
    )
    return [alert, _cost_recovery(facts, alert)]


def _cost_recovery(facts: ReportFacts, alert: Insight) -> Insight:
    ev = facts.earned_value
    return Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.BUDGET,
        title="Recover cost performance",
        content=(
            "Find the work packages whose spend runs ahead of their earned value and "
            "re-plan them before the remaining budget is committed."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={
            "alert_id": alert.insight_id,
            "cpi": ev.cpi,
            "tcpi_to_bac": ev.tcpi_to_bac,
        },
        priority=alert.priority,
        recommended_actions=(
            "Review the cost accounts with the largest negative cost variance",
            "Check for unrecorded progress that would raise earned value",
            "Re-estimate the remaining work and record a bottom-up EAC",
        ),
    )


def _tcpi_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    ev = facts.earned_value
    if ev.tcpi_to_bac is None or ev.tcpi_to_bac <= thresholds.tcpi_unachievable:
        return []
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.BUDGET,
        title="Budget out of reach",
        content=(
            f"Finishing within budget needs a CPI of {ev.tcpi_to_bac:.2f} on the remaining "
            f"work, against {ev.cpi or 0:.2f} so far; above "
            f"{thresholds.tcpi_unachievable:.2f} this is rarely achieved."
        ),
        confidence_score=threshold_confidence(
            ev.tcpi_to_bac, thresholds.tcpi_unachievable, ev.percent_complete
        ),
        supporting_data={
            "source": "earned value at the data date",
            "tcpi_to_bac": ev.tcpi_to_bac,
            "cpi": ev.cpi,
            "threshold": thresholds.tcpi_unachievable,
        },
        priority=Priority.HIGH,
        predicted_impact=(
            f"{money(ev.bac - ev.ev, facts.currency)} of work left for "
            f"{money(ev.bac - ev.ac, facts.currency)} of budget"
        ),
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.BUDGET,
        title="Re-baseline the budget or the scope",
        content=(
            "The remaining budget cannot pay for the remaining work at any efficiency seen "
            "so far; agree a revised budget at completion or reduce the scope."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={"alert_id": alert.insight_id, "tcpi_to_bac": ev.tcpi_to_bac},
        priority=Priority.HIGH,
        recommended_actions=(
            "Prepare a bottom-up estimate to complete for the sponsor",
            "Agree a revised budget or descope work",
        ),
    )
    return [alert, recommendation]


def _overrun_probability(facts: ReportFacts) -> Insight:
    simulation = facts.simulation
    assert simulation is not None
    assert simulation.probability_within_budget is not None
    overrun = 1.0 - simulation.probability_within_budget
    return Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.BUDGET,
        title="Chance of exceeding the budget",
        content=(
            f"In {simulation.iterations:,} simulated outcomes the project exceeded its budget "
            f"in {percent(overrun)} of cases; the P80 cost is "
            f"{percent(simulation.cost_ratio.get('p80', 0.0))} of the budget."
        ),
        confidence_score=probability_confidence(overrun, simulation.iterations),
        supporting_data={
            "source": "Monte Carlo simulation of cost",
            "iterations": simulation.iterations,
            "probability_over_budget": overrun,
            "cost_ratio_percentiles": dict(simulation.cost_ratio),
        },
        priority=Priority.HIGH if overrun > 0.5 else Priority.LOW,
        predicted_impact=f"{percent(overrun)} probability of overrun",
    )
