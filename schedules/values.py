"""Limits on the numbers of an imported schedule, and the check that every project meets them.

Every number that reaches ``ImportResult`` is finite. Money and resource units lie within
``MAX_AMOUNT`` either side of zero. Durations, lags, float and risk delays lie within
``MAX_HOURS``, the elapsed hours of the years that ``schedules.sanity`` accepts as dates,
because no duration can be longer than the calendar it is measured on. Percentages and
probabilities are fractions from 0 to 1.

Signs follow project-controls practice. An activity's budget (cost or units) below zero
rejects the file, because earned value would then fall as work progresses. So does a negative
original or remaining duration, because no work takes less than no time. A negative actual
is kept and reported: P6 records credits, such as a refund posted against an expense, as
negative actuals. A negative remaining amount is set to zero and reported, because work cannot
have less than nothing left to spend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from schedules.errors import InvalidProjectError
from schedules.model import Activity, ImportWarning, Project, ThreePointEstimate
from schedules.sanity import EARLIEST_SANE, LATEST_SANE, listed_codes

MAX_AMOUNT = 1e15
MAX_HOURS = float((LATEST_SANE - EARLIEST_SANE) // timedelta(hours=1))
MAX_LISTED_PROBLEMS = 5
# P6 computes remaining amounts as at-completion minus actual, which can leave a fraction of
# a cent below zero. Amounts down to minus this tolerance are rounding, not credits.
ROUNDING_TOLERANCE = 0.005

_AMOUNTS = (
    "budgeted_cost",
    "actual_cost",
    "remaining_cost",
    "budgeted_units",
    "actual_units",
    "remaining_units",
)
_DURATIONS = ("original_duration_hours", "remaining_duration_hours")
_FLOATS = ("total_float_hours", "free_float_hours")
_BUDGETS = ("budgeted_cost", "budgeted_units")
_ACTUALS = ("actual_cost", "actual_units")
_REMAINING = ("remaining_cost", "remaining_units")


def parse_finite(text: str) -> float | None:
    """Return the number written in ``text``, or None unless it is a finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    # float() reads "nan", "inf" and "1e400" (infinity) without complaint.
    return value if math.isfinite(value) else None


def check_values(project: Project) -> tuple[Project, list[ImportWarning]]:
    """Reject numbers that are not finite or out of range, then apply the sign rules.

    Returns the project with negative remaining amounts set to zero and float outside
    ``MAX_HOURS`` removed, and a warning for each of those changes and for negative actuals.

    Raises:
        InvalidProjectError: ``invalid_values``, naming up to five of the values.
    """
    problems = _range_problems(project)
    problems += [
        f"activity {activity.code}: {name.replace('_', ' ')} is negative ({value:,.2f})"
        for activity in project.activities
        for name in _BUDGETS
        if (value := getattr(activity, name)) < -ROUNDING_TOLERANCE
    ]
    problems += [
        f"activity {activity.code}: {name.replace('_', ' ')} is negative ({value:,.2f})"
        for activity in project.activities
        for name in _DURATIONS
        if (value := getattr(activity, name)) < 0.0
    ]
    if problems:
        raise InvalidProjectError(_summary(problems), code="invalid_values")
    warnings: list[ImportWarning] = []
    activities = _clamp_remaining(project.activities, warnings)
    activities = _drop_far_float(activities, warnings)
    warnings.extend(_negative_actuals(activities))
    return replace(project, activities=activities), warnings


def _summary(problems: Sequence[str]) -> str:
    listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return (
        f"the file contains values the schedule cannot hold: {listed}{suffix}. Money and units "
        f"must be finite numbers within ±{MAX_AMOUNT:,.0f}, durations and lags within "
        f"±{MAX_HOURS:,.0f} hours, and an activity's budget and durations must not be "
        "negative; correct "
        "these values in the source schedule and import it again"
    )


def _range_problems(project: Project) -> list[str]:
    problems: list[str] = []
    codes = {activity.id: activity.code for activity in project.activities}
    for activity in project.activities:
        label = f"activity {activity.code}"
        _check_fields(problems, label, activity, _AMOUNTS, MAX_AMOUNT)
        _check_fields(problems, label, activity, _DURATIONS, MAX_HOURS)
        _check_fields(problems, label, activity, _FLOATS, math.inf)
        _check(problems, label, "percent complete", activity.percent_complete, 0.0, 1.0)
        _check_estimate(
            problems, label, "duration estimate", activity.duration_estimate, MAX_HOURS
        )
        _check_estimate(problems, label, "cost estimate", activity.cost_estimate, MAX_AMOUNT)
    for assignment in project.assignments:
        owner = codes.get(assignment.activity_id, assignment.activity_id)
        label = f"assignment {assignment.id} of activity {owner}"
        _check_fields(problems, label, assignment, _AMOUNTS, MAX_AMOUNT)
    for relationship in project.relationships:
        ends = (relationship.predecessor_id, relationship.successor_id)
        label = "relationship " + " -> ".join(codes.get(end, end) for end in ends)
        _check(problems, label, "lag", relationship.lag_hours, -MAX_HOURS, MAX_HOURS)
    for risk in project.risks:
        label = f"risk {risk.id}"
        _check(problems, label, "probability", risk.probability, 0.0, 1.0)
        _check_estimate(problems, label, "duration impact", risk.duration_impact_hours, MAX_HOURS)
        _check_estimate(problems, label, "cost impact", risk.cost_impact, MAX_AMOUNT)
    for actual in project.monthly_actuals:
        names = ("actual_cost", "earned_value", "planned_value")
        _check_fields(problems, f"monthly actuals {actual.month}", actual, names, MAX_AMOUNT)
    for calendar in project.calendars:
        label = f"calendar {calendar.id}"
        _check(problems, label, "hours per day", calendar.hours_per_day, 0.0, 24.0)
        _check(problems, label, "hours per week", calendar.hours_per_week, 0.0, 168.0)
    # Each amount is bounded, so the totals are finite. They are checked anyway, because
    # reports show them.
    for name, total in (
        ("budget at completion", project.budget_at_completion),
        ("actual cost", project.actual_cost),
    ):
        _check(problems, "the project", name, total, -math.inf, math.inf)
    return problems


def _check_fields(
    problems: list[str], label: str, record: Any, names: Sequence[str], limit: float
) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None:
            _check(problems, label, name.replace("_", " "), value, -limit, limit)


def _check_estimate(
    problems: list[str],
    label: str,
    name: str,
    estimate: ThreePointEstimate | None,
    limit: float,
) -> None:
    if estimate is None:
        return
    for point in ("optimistic", "most_likely", "pessimistic"):
        value = getattr(estimate, point)
        _check(problems, label, f"{name} {point.replace('_', ' ')}", value, -limit, limit)


def _check(
    problems: list[str], label: str, name: str, value: float, low: float, high: float
) -> None:
    if not math.isfinite(value):
        problems.append(f"{label}: {name} is {value}, not a finite number")
    elif not low <= value <= high:
        problems.append(
            f"{label}: {name} is {_number(value)}, outside {_number(low)} to {_number(high)}"
        )


def _number(value: float) -> str:
    # Separators and at most two decimals up to the amount limit, so limits read as written.
    if 0.01 <= abs(value) <= MAX_AMOUNT:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.6g}"


def _clamp_remaining(
    activities: Sequence[Activity], warnings: list[ImportWarning]
) -> tuple[Activity, ...]:
    clamped: list[Activity] = []
    result = []
    for activity in activities:
        changes: dict[str, Any] = {
            name: 0.0 for name in _REMAINING if getattr(activity, name) < -ROUNDING_TOLERANCE
        }
        if changes:
            clamped.append(activity)
            activity = replace(activity, **changes)
        result.append(activity)
    if clamped:
        examples = ", ".join(
            f"{a.code}: {a.remaining_cost:,.2f} cost, {a.remaining_units:,.2f} units"
            for a in clamped[:3]
        )
        warnings.append(
            ImportWarning(
                "negative_remaining",
                f"{len(clamped)} activities had a negative remaining cost or remaining units "
                f"({examples}). Work cannot have less than nothing left, so these were set to "
                "zero and the estimate at completion equals the actuals; check the forecast "
                "in the source schedule.",
                listed_codes(clamped),
            )
        )
    return tuple(result)


def _drop_far_float(
    activities: Sequence[Activity], warnings: list[ImportWarning]
) -> tuple[Activity, ...]:
    dropped: list[Activity] = []
    result = []
    for activity in activities:
        changes: dict[str, Any] = {
            name: None
            for name in _FLOATS
            if (value := getattr(activity, name)) is not None and abs(value) > MAX_HOURS
        }
        if changes:
            dropped.append(activity)
            activity = replace(activity, **changes)
        result.append(activity)
    if dropped:
        warnings.append(
            ImportWarning(
                "float_out_of_range",
                f"{len(dropped)} activities had a total or free float beyond ±{MAX_HOURS:,.0f} "
                f"hours (first: {dropped[0].code}); the float was removed and is treated as "
                "unknown until the schedule is calculated again.",
                listed_codes(dropped),
            )
        )
    return tuple(result)


def _negative_actuals(activities: Sequence[Activity]) -> list[ImportWarning]:
    credited = [
        activity
        for activity in activities
        if any(getattr(activity, name) < -ROUNDING_TOLERANCE for name in _ACTUALS)
    ]
    if not credited:
        return []
    examples = ", ".join(f"{a.code}: {a.actual_cost:,.2f}" for a in credited[:3])
    return [
        ImportWarning(
            "negative_actuals",
            f"{len(credited)} activities have a negative actual cost or actual units "
            f"({examples}). They were kept as credits, such as refunds, so the actual cost "
            "matches the source; check that they are not posting errors.",
            listed_codes(credited),
        )
    ]
