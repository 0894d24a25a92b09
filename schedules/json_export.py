"""Writer for the JSON project format: any imported project as a document that
``load_project_json`` reads back into an equal model (activity ids become their codes).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from schedules.errors import InvalidProjectError
from schedules.json_schema import FORMAT_NAME, FORMAT_VERSION, WEEKDAYS
from schedules.model import (
    ACTIVITY_DATE_FIELDS,
    Activity,
    Assignment,
    Calendar,
    Project,
    Risk,
    ThreePointEstimate,
    WorkInterval,
)

_COST_AND_UNIT_FIELDS = (
    "budgeted_cost",
    "actual_cost",
    "remaining_cost",
    "budgeted_units",
    "actual_units",
    "remaining_units",
)


def project_to_json(project: Project) -> dict[str, Any]:
    """Write a project as a JSON-ready dict with durations in hours.

    Raises:
        InvalidProjectError: two activities share a code, which the format cannot express.
    """
    duplicated = sorted(
        code for code, n in Counter(a.code for a in project.activities).items() if n > 1
    )
    if duplicated:
        raise InvalidProjectError(
            f"activity codes {', '.join(duplicated[:5])} are used more than once; the JSON "
            "format references activities by code, so give each activity its own code"
        )
    codes = {activity.id: activity.code for activity in project.activities}
    assigned = {assignment.activity_id for assignment in project.assignments}
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "project": _without_none(
            {
                "id": project.source_id,
                "code": project.code,
                "name": project.name,
                "currency": project.currency,
                "data_date": _moment(project.data_date),
                "planned_start": _moment(project.planned_start),
                "planned_finish": _moment(project.planned_finish),
                "default_calendar": project.default_calendar_id,
                "duration_unit": "hours",
            }
        ),
        "calendars": [_calendar(calendar) for calendar in project.calendars],
        "wbs": [
            _without_none({"id": n.id, "code": n.code, "name": n.name, "parent": n.parent_id})
            for n in project.wbs
        ],
        "resources": [
            _without_none(
                {
                    "id": r.id,
                    "name": r.name,
                    "type": r.type,
                    "unit": r.unit,
                    "calendar": r.calendar_id,
                }
            )
            for r in project.resources
        ],
        "activities": [
            _activity(a, with_amounts=a.id not in assigned) for a in project.activities
        ],
        "relationships": [
            {
                "predecessor": codes.get(r.predecessor_id, r.predecessor_id),
                "successor": codes.get(r.successor_id, r.successor_id),
                "type": r.type.value,
                "lag": r.lag_hours,
            }
            for r in project.relationships
        ],
        "assignments": [_assignment(a, codes) for a in project.assignments],
        "risks": [_risk(risk, codes) for risk in project.risks],
        "monthly_actuals": [
            _without_none(
                {
                    "month": m.month,
                    "actual_cost": m.actual_cost,
                    "earned_value": m.earned_value,
                    "planned_value": m.planned_value,
                }
            )
            for m in project.monthly_actuals
        ],
    }


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _interval(interval: WorkInterval) -> str:
    finish = f"{interval.finish:%H:%M}"
    return f"{interval.start:%H:%M}-{'24:00' if finish == '00:00' else finish}"


def _calendar(calendar: Calendar) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "name": calendar.name,
        "hours_per_day": calendar.hours_per_day,
        "hours_per_week": calendar.hours_per_week,
        "week": {
            day: [_interval(i) for i in intervals]
            for day, intervals in zip(WEEKDAYS, calendar.week, strict=True)
            if intervals
        },
        "exceptions": [
            {"date": day.isoformat(), "working_times": [_interval(i) for i in intervals]}
            for day, intervals in sorted(calendar.exceptions.items())
        ],
    }


def _estimate(estimate: ThreePointEstimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "optimistic": estimate.optimistic,
        "most_likely": estimate.most_likely,
        "pessimistic": estimate.pessimistic,
        "distribution": estimate.distribution.value,
    }


def _activity(activity: Activity, *, with_amounts: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": activity.code,
        "name": activity.name,
        "type": activity.type.value,
        "status": activity.status.value,
        "wbs": activity.wbs_id,
        "calendar": activity.calendar_id,
        "percent_complete_type": activity.percent_complete_type.value,
        "percent_complete": activity.percent_complete,
        "original_duration": activity.original_duration_hours,
        "remaining_duration": activity.remaining_duration_hours,
        "total_float": activity.total_float_hours,
        "free_float": activity.free_float_hours,
        "duration_estimate": _estimate(activity.duration_estimate),
        "cost_estimate": _estimate(activity.cost_estimate),
        "notes": activity.notes or None,
    }
    for name in ACTIVITY_DATE_FIELDS:
        values[name] = _moment(getattr(activity, name))
    if activity.constraint_type is not None:
        values["constraint"] = _without_none(
            {"type": activity.constraint_type, "date": _moment(activity.constraint_date)}
        )
    if with_amounts:
        for name in _COST_AND_UNIT_FIELDS:
            values[name] = getattr(activity, name)
    return _without_none(values)


def _assignment(assignment: Assignment, codes: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": assignment.id,
        "activity": codes.get(assignment.activity_id, assignment.activity_id),
        "resource": assignment.resource_id,
        "planned_start": _moment(assignment.planned_start),
        "planned_finish": _moment(assignment.planned_finish),
    }
    for name in _COST_AND_UNIT_FIELDS:
        values[name] = getattr(assignment, name)
    return _without_none(values)


def _risk(risk: Risk, codes: dict[str, str]) -> dict[str, Any]:
    due: date | None = risk.due_date
    return _without_none(
        {
            "id": risk.id,
            "title": risk.title,
            "description": risk.description,
            "probability": risk.probability,
            "duration_impact": _estimate(risk.duration_impact_hours),
            "cost_impact": _estimate(risk.cost_impact),
            "affected_activities": [codes.get(i, i) for i in risk.affected_activity_ids],
            "owner": risk.owner,
            "status": risk.status,
            "due_date": due.isoformat() if due is not None else None,
        }
    )
