"""Quality insights: what the schedule checks found in the imported data, and what to fix.

The DCMA checks run at import and arrive as warnings; the critical path length index
(CPLI, check 13) is computed here from the CPM forecast, in calendar days.
"""

from __future__ import annotations

from insights.confidence import data_confidence, threshold_confidence
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from schedules.model import ImportWarning

# Findings about faulty data rather than about scheduling practice.
_DATA_FAULTS = ("date", "duration", "dangling", "duplicate", "cost_without")
# The DCMA checks the import computes, plus CPLI here; the critical path test is not run.
DCMA_CHECKS_COMPUTED = 13
_FIXES = {
    "dcma_logic": "Add predecessors and successors to the open-ended activities",
    "dcma_leads": "Replace negative lags with logic that shows the real overlap",
    "dcma_lags": "Replace long positive lags with activities for the waiting time",
    "dcma_relationship_types": "Use finish-to-start links unless the work truly overlaps",
    "dcma_hard_constraints": "Replace hard constraints with logic or soft constraints",
    "dcma_high_float": "Tie activities with very high float into the network",
    "dcma_negative_float": "Resolve the constraints or logic that cause negative float",
    "dcma_high_duration": "Split activities longer than 44 working days",
    "dcma_invalid_dates": "Correct actual dates after the data date and forecasts before it",
    "dcma_resources": "Load the activities with duration but no resources or cost",
    "dcma_missed_tasks": "Re-plan the activities that finished late against the baseline",
    "dcma_bei": "Recover the baseline execution: finish the work planned to be finished",
}


def quality_insights(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    """Return the data-fault and practice alerts, their fixes, CPLI and a summary."""
    warnings = facts.quality_warnings
    flagged = {code for warning in warnings for code in warning.activity_codes}
    faults = [w for w in warnings if any(marker in w.code for marker in _DATA_FAULTS)]
    practice = [w for w in warnings if w not in faults and w.code.startswith("dcma_")]
    total = max(facts.schedule.activities, 1)
    confidence = data_confidence(len(flagged), total)
    insights: list[Insight] = []
    if faults:
        insights.extend(_fault_alert(faults, confidence))
    if practice:
        insights.extend(_practice_alert(practice, confidence))
    cpli = _cpli_alert(facts, thresholds)
    insights.extend(cpli)
    insights.append(_summary(facts, len(practice) + (1 if cpli else 0), confidence))
    return insights


def _fault_alert(faults: list[ImportWarning], confidence: float) -> list[Insight]:
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.QUALITY,
        title="Faulty data in the imported schedule",
        content=f"{len(faults)} kinds of data fault were found and worked around: "
        + "; ".join(w.message for w in faults[:3]),
        confidence_score=confidence,
        supporting_data={"source": "import checks", "findings": [w.as_dict() for w in faults]},
        priority=Priority.HIGH,
    )
    return [alert, _fix(alert, ["Correct the flagged dates and durations in the source tool"])]


def _practice_alert(practice: list[ImportWarning], confidence: float) -> list[Insight]:
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.QUALITY,
        title="Schedule checks failing",
        content=f"{len(practice)} schedule checks fail: "
        + ", ".join(w.code for w in practice)
        + ".",
        confidence_score=confidence,
        supporting_data={
            "source": "schedule quality checks (DCMA 14-point)",
            "findings": [w.as_dict() for w in practice],
        },
        priority=Priority.MEDIUM,
    )
    fixes = [_FIXES[w.code] for w in practice if w.code in _FIXES]
    return [alert, _fix(alert, fixes)]


def _fix(alert: Insight, actions: list[str]) -> Insight:
    return Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.QUALITY,
        title=f"Fix: {alert.title.lower()}",
        content="Correct the schedule in its source tool and import it again: "
        + "; ".join(action[0].lower() + action[1:] for action in actions)
        + ".",
        confidence_score=alert.confidence_score,
        supporting_data={"alert_id": alert.insight_id},
        priority=alert.priority,
        recommended_actions=tuple(actions),
    )


def cpli(facts: ReportFacts) -> float | None:
    """(remaining critical path length + float of the end) / remaining length, in days."""
    schedule = facts.schedule
    if schedule.forecast_finish is None or schedule.planned_finish is None:
        return None
    length = (schedule.forecast_finish - schedule.data_date).days
    if length <= 0:
        return None
    end_float = (schedule.planned_finish - schedule.forecast_finish).days
    return (length + end_float) / length


def _cpli_alert(facts: ReportFacts, thresholds: Thresholds) -> list[Insight]:
    value = cpli(facts)
    if value is None or value >= thresholds.cpli_minimum:
        return []
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.QUALITY,
        title="Critical path length index below target",
        content=(
            f"CPLI is {value:.2f} against a minimum of {thresholds.cpli_minimum:.2f}: the "
            "remaining critical path is longer than the time left to the planned finish."
        ),
        confidence_score=threshold_confidence(
            value, thresholds.cpli_minimum, facts.earned_value.percent_complete
        ),
        supporting_data={
            "source": "CPM forecast finish against the planned finish (DCMA check 13)",
            "cpli": value,
            "forecast_finish": facts.schedule.forecast_finish.isoformat()
            if facts.schedule.forecast_finish
            else None,
            "planned_finish": facts.schedule.planned_finish.isoformat()
            if facts.schedule.planned_finish
            else None,
            "threshold": thresholds.cpli_minimum,
        },
        priority=Priority.HIGH,
    )
    return [alert, _fix(alert, ["Shorten the remaining critical path or re-plan the finish"])]


def _summary(facts: ReportFacts, failing: int, confidence: float) -> Insight:
    passed = DCMA_CHECKS_COMPUTED - failing
    return Insight(
        insight_type=InsightType.SUMMARY,
        category=Category.QUALITY,
        title="Schedule quality",
        content=(
            f"{passed} of the {DCMA_CHECKS_COMPUTED} schedule checks computed pass and "
            f"{failing} fail; the critical path test is not run."
        ),
        confidence_score=confidence,
        supporting_data={
            "source": "schedule quality checks (DCMA 14-point)",
            "checks_computed": DCMA_CHECKS_COMPUTED,
            "failing": failing,
            "findings": [w.code for w in facts.quality_warnings],
            "activities": facts.schedule.activities,
        },
        priority=Priority.MEDIUM if failing else Priority.LOW,
    )
