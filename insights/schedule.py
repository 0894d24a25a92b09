"""Schedule insights: the finish forecast, schedule performance and milestone slips."""

from __future__ import annotations

from datetime import date, timedelta

from insights.confidence import forecast_confidence, probability_confidence, threshold_confidence
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.text import day, percent

_DAYS_PER_MONTH = 365.25 / 12
# A slip this far beyond the limit counts as fully established.
_SLIP_SCALE_DAYS = 20.0


def schedule_insights(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    """Return the finish forecast and the SPI(t), float and milestone alerts."""
    insights = [_finish_forecast(facts)]
    insights.extend(_spi_t_alert(facts, thresholds))
    insights.extend(_float_alert(facts, thresholds))
    insights.extend(_milestone_alert(facts, thresholds))
    if facts.simulation is not None and facts.simulation.probability_on_time is not None:
        insights.append(_on_time_probability(facts))
    return [insight for insight in insights if insight is not None]


def _earned_schedule_finish(facts: ReportFacts) -> date | None:
    ev = facts.earned_value
    start = facts.schedule.planned_start
    if start is None or ev.ieac_t_months is None:
        return None
    return start + timedelta(days=ev.ieac_t_months * _DAYS_PER_MONTH)


def _finish_forecast(facts: ReportFacts) -> Insight | None:
    schedule = facts.schedule
    candidates: dict[str, date] = {}
    if schedule.forecast_finish is not None:
        candidates["critical_path"] = schedule.forecast_finish
    earned = _earned_schedule_finish(facts)
    if earned is not None:
        candidates["earned_schedule"] = earned
    if facts.simulation is not None and "p50" in facts.simulation.finish:
        candidates["monte_carlo_p50"] = facts.simulation.finish["p50"]
    if not candidates:
        return None
    interval = _finish_interval(facts, candidates)
    anchor = schedule.data_date
    # Agreement is judged on the remaining duration each method forecasts.
    remaining = [max((value - anchor).days, 1) for value in candidates.values()]
    primary = candidates.get("monte_carlo_p50") or candidates.get("critical_path") or earned
    assert primary is not None
    slip = (primary - schedule.planned_finish).days if schedule.planned_finish else None
    content = f"The project is forecast to finish on {day(primary)}"
    if slip is not None:
        relation = "after" if slip > 0 else "before"
        content += f", {abs(slip)} days {relation} the planned {day(schedule.planned_finish)}"
    content += (
        f". The forecasts range from {day(interval[0])} to {day(interval[1])}: "
        + "; ".join(
            f"{name.replace('_', ' ')}: {day(value)}" for name, value in candidates.items()
        )
        + "."
    )
    return Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.SCHEDULE,
        title="Finish date forecast",
        content=content,
        confidence_score=forecast_confidence(
            [float(days) for days in remaining], facts.earned_value.percent_complete
        ),
        supporting_data={
            "source": "critical path, earned schedule and simulation",
            "forecasts": {name: value.isoformat() for name, value in candidates.items()},
            "interval": {"earliest": interval[0].isoformat(), "latest": interval[1].isoformat()},
            "planned_finish": schedule.planned_finish.isoformat()
            if schedule.planned_finish
            else None,
            "spi_t": facts.earned_value.spi_t,
        },
        priority=Priority.HIGH if slip is not None and slip > 30 else Priority.MEDIUM,
        predicted_impact=f"{slip} days of delay" if slip and slip > 0 else None,
    )


def _finish_interval(facts: ReportFacts, candidates: dict[str, date]) -> tuple[date, date]:
    """Return the earliest and latest finish of the methods and the simulation's P95."""
    dates = list(candidates.values())
    if facts.simulation is not None and "p95" in facts.simulation.finish:
        dates.append(facts.simulation.finish["p95"])
    return min(dates), max(dates)


def _spi_t_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    ev = facts.earned_value
    if ev.spi_t is None or ev.spi_t >= thresholds.index_green:
        return []
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.SCHEDULE,
        title="Schedule performance below target",
        content=(
            f"SPI(t) is {ev.spi_t:.2f}: the work earned so far was planned to be done "
            f"{abs(ev.sv_t_months or 0):.1f} months earlier than it was."
        ),
        confidence_score=threshold_confidence(
            ev.spi_t, thresholds.index_green, ev.percent_complete
        ),
        supporting_data={
            "source": "earned schedule at the data date",
            "spi_t": ev.spi_t,
            "spi": ev.spi,
            "earned_schedule_months": ev.es_months,
            "actual_time_months": ev.at_months,
            "threshold_green": thresholds.index_green,
        },
        priority=Priority.CRITICAL if ev.spi_t < thresholds.index_red else Priority.HIGH,
        predicted_impact=(
            f"planned duration of {ev.pd_months:.1f} months becomes {ev.ieac_t_months:.1f}"
            if ev.pd_months and ev.ieac_t_months
            else None
        ),
    )
    recovery = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.SCHEDULE,
        title="Recover the critical path",
        content="Protect the critical path: resequence or add resources to its next activities.",
        confidence_score=alert.confidence_score,
        supporting_data={
            "alert_id": alert.insight_id,
            "critical_path": [activity.code for activity in facts.schedule.critical_path[:10]],
        },
        priority=alert.priority,
        recommended_actions=(
            "Review the logic of the next critical activities for overlaps (SS links)",
            "Confirm resource availability for critical work in the coming month",
            "Escalate approvals or supplies holding critical activities",
        ),
    )
    return [alert, recovery]


def _milestone_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    slipped = [
        milestone
        for milestone in facts.schedule.slipped_milestones
        if (milestone.slip_days or 0) > thresholds.milestone_slip_days
    ]
    if not slipped:
        return []
    worst = max(slipped, key=lambda milestone: milestone.slip_days or 0)
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.SCHEDULE,
        title="Milestones slipping",
        content=(
            f"{len(slipped)} {'milestone is' if len(slipped) == 1 else 'milestones are'} "
            "forecast more than "
            f"{thresholds.milestone_slip_days} days late; the worst, {worst.code} "
            f"{worst.name}, by {worst.slip_days} days."
        ),
        confidence_score=threshold_confidence(
            float(worst.slip_days or 0),
            float(thresholds.milestone_slip_days),
            facts.earned_value.percent_complete,
            scale=_SLIP_SCALE_DAYS,
        ),
        supporting_data={
            "source": "forecast against planned milestone dates",
            "milestones": [
                {
                    "code": m.code,
                    "name": m.name,
                    "slip_days": m.slip_days,
                    "forecast": m.forecast.isoformat() if m.forecast else None,
                    "planned": m.planned.isoformat() if m.planned else None,
                }
                for m in slipped[:20]
            ],
        },
        priority=Priority.HIGH,
        predicted_impact=f"{worst.code} {worst.slip_days} days late",
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.SCHEDULE,
        title="Protect the slipping milestones",
        content=(
            f"Work back from {worst.code} {worst.name}: find the driving activities in front "
            "of it and agree how to recover or re-forecast the date with its stakeholders."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={
            "alert_id": alert.insight_id,
            "milestones": [m.code for m in slipped[:20]],
        },
        priority=Priority.HIGH,
        recommended_actions=(
            f"Trace the driving path into {worst.code}",
            "Tell the stakeholders of each slipping milestone its forecast date",
        ),
    )
    return [alert, recommendation]


def _float_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    path = [a for a in facts.schedule.critical_path if a.total_float_days is not None]
    if not path:
        return []
    lowest = min(path, key=lambda activity: activity.total_float_days or 0.0)
    lowest_float = lowest.total_float_days or 0.0
    if lowest_float >= thresholds.critical_float_days:
        return []
    negative = [a for a in path if (a.total_float_days or 0.0) < 0]
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.SCHEDULE,
        title="Float on the critical path used up"
        if lowest_float < 0
        else "Float on the critical path running low",
        content=(
            f"The driving path has {lowest_float:.1f} working days of total float at "
            f"{lowest.code} {lowest.name}; {len(negative)} of its {len(path)} activities "
            f"have negative float. The limit is {thresholds.critical_float_days:.1f} days."
        ),
        confidence_score=threshold_confidence(
            lowest_float,
            thresholds.critical_float_days,
            facts.earned_value.percent_complete,
            scale=_SLIP_SCALE_DAYS,
        ),
        supporting_data={
            "source": "CPM pass at the data date",
            "lowest_float_days": lowest_float,
            "activity": lowest.code,
            "negative_float_activities": [a.code for a in negative[:20]],
            "critical_path_length": len(path),
            "near_critical": facts.schedule.near_critical,
            "threshold_days": thresholds.critical_float_days,
        },
        priority=Priority.CRITICAL if lowest_float < 0 else Priority.HIGH,
        predicted_impact=f"{-lowest_float:.1f} working days late unless recovered"
        if lowest_float < 0
        else None,
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.SCHEDULE,
        title="Restore float on the driving path",
        content=(
            f"Review the logic and constraints around {lowest.code} and the activities with "
            "negative float before the next update, so the forecast finish is achievable."
        ),
        confidence_score=alert.confidence_score,
        supporting_data={"alert_id": alert.insight_id, "activity": lowest.code},
        priority=alert.priority,
        recommended_actions=(
            f"Check the constraints and lags driving {lowest.code}",
            "Resequence or crash the next activities of the driving path",
        ),
    )
    return [alert, recommendation]


def _on_time_probability(facts: ReportFacts) -> Insight:
    simulation = facts.simulation
    assert simulation is not None
    assert simulation.probability_on_time is not None
    late = 1.0 - simulation.probability_on_time
    return Insight(
        insight_type=InsightType.PREDICTION,
        category=Category.SCHEDULE,
        title="Chance of finishing late",
        content=(
            f"{percent(late)} of {simulation.iterations:,} simulated schedules finish after the "
            f"planned date; P80 finish {day(simulation.finish.get('p80'))}."
        ),
        confidence_score=probability_confidence(late, simulation.iterations),
        supporting_data={
            "source": "Monte Carlo simulation of the network",
            "iterations": simulation.iterations,
            "probability_late": late,
            "finish_percentiles": {k: v.isoformat() for k, v in simulation.finish.items()},
            "deterministic_finish": simulation.deterministic_finish.isoformat()
            if simulation.deterministic_finish
            else None,
        },
        priority=Priority.HIGH if late > 0.5 else Priority.LOW,
    )
