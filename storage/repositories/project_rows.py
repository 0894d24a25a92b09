"""Conversion between the schedule model and the column values of the project tables.

Each ``*_values`` function turns one model object into the dict of one row for a bulk
insert. Each ``*_from_row`` function rebuilds the object from a row read back. The pairs
must be exact inverses, and the round-trip tests compare whole projects to check it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    Calendar,
    Distribution,
    MonthlyActual,
    PercentCompleteType,
    Relationship,
    RelationshipType,
    Resource,
    Risk,
    ThreePointEstimate,
    WbsNode,
    WorkInterval,
)

Row = Mapping[str, Any]
Values = dict[str, Any]

# Fields stored under the same name in the model and in the row; ``id`` becomes ``source_id``.
_ACTIVITY_PLAIN_FIELDS = (
    "code",
    "name",
    "wbs_id",
    "calendar_id",
    "percent_complete",
    "original_duration_hours",
    "remaining_duration_hours",
    "planned_start",
    "planned_finish",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "actual_start",
    "actual_finish",
    "baseline_start",
    "baseline_finish",
    "total_float_hours",
    "free_float_hours",
    "constraint_type",
    "constraint_date",
    "budgeted_cost",
    "actual_cost",
    "remaining_cost",
    "budgeted_units",
    "actual_units",
    "remaining_units",
    "notes",
)
_ASSIGNMENT_PLAIN_FIELDS = (
    "activity_id",
    "resource_id",
    "budgeted_cost",
    "actual_cost",
    "remaining_cost",
    "budgeted_units",
    "actual_units",
    "remaining_units",
    "planned_start",
    "planned_finish",
)


def _child(project_id: uuid.UUID, position: int) -> Values:
    # The UUID is drawn here because a bulk insert skips Python-side column defaults.
    return {"id": uuid.uuid4(), "project_id": project_id, "position": position}


def estimate_to_json(estimate: ThreePointEstimate | None) -> dict[str, Any] | None:
    """Return a three-point estimate as a JSON object, or None."""
    if estimate is None:
        return None
    return {
        "optimistic": estimate.optimistic,
        "most_likely": estimate.most_likely,
        "pessimistic": estimate.pessimistic,
        "distribution": estimate.distribution.value,
    }


def estimate_from_json(value: Mapping[str, Any] | None) -> ThreePointEstimate | None:
    """Rebuild a three-point estimate from its JSON object."""
    if value is None:
        return None
    return ThreePointEstimate(
        optimistic=value["optimistic"],
        most_likely=value["most_likely"],
        pessimistic=value["pessimistic"],
        distribution=Distribution(value["distribution"]),
    )


def _intervals_to_json(intervals: Sequence[WorkInterval]) -> list[list[str]]:
    return [[interval.start.isoformat(), interval.finish.isoformat()] for interval in intervals]


def _intervals_from_json(pairs: Sequence[Sequence[str]]) -> tuple[WorkInterval, ...]:
    return tuple(
        WorkInterval(time.fromisoformat(start), time.fromisoformat(finish))
        for start, finish in pairs
    )


def calendar_values(project_id: uuid.UUID, position: int, calendar: Calendar) -> Values:
    """Return the row of one calendar."""
    return {
        **_child(project_id, position),
        "source_id": calendar.id,
        "name": calendar.name,
        "hours_per_day": calendar.hours_per_day,
        "hours_per_week": calendar.hours_per_week,
        "week": [_intervals_to_json(day) for day in calendar.week],
        "exceptions": [
            [day.isoformat(), _intervals_to_json(intervals)]
            for day, intervals in calendar.exceptions.items()
        ],
    }


def calendar_from_row(row: Row) -> Calendar:
    """Rebuild a calendar from its row."""
    return Calendar(
        id=row["source_id"],
        name=row["name"],
        hours_per_day=row["hours_per_day"],
        hours_per_week=row["hours_per_week"],
        week=tuple(_intervals_from_json(day) for day in row["week"]),
        exceptions={
            date.fromisoformat(day): _intervals_from_json(intervals)
            for day, intervals in row["exceptions"]
        },
    )


def wbs_values(project_id: uuid.UUID, position: int, node: WbsNode) -> Values:
    """Return the row of one WBS node."""
    return {
        **_child(project_id, position),
        "source_id": node.id,
        "code": node.code,
        "name": node.name,
        "parent_id": node.parent_id,
    }


def wbs_from_row(row: Row) -> WbsNode:
    """Rebuild a WBS node from its row."""
    return WbsNode(
        id=row["source_id"], code=row["code"], name=row["name"], parent_id=row["parent_id"]
    )


def activity_values(project_id: uuid.UUID, position: int, activity: Activity) -> Values:
    """Return the row of one activity."""
    values = _child(project_id, position)
    values["source_id"] = activity.id
    values["type"] = activity.type.value
    values["status"] = activity.status.value
    values["percent_complete_type"] = activity.percent_complete_type.value
    values["duration_estimate"] = estimate_to_json(activity.duration_estimate)
    values["cost_estimate"] = estimate_to_json(activity.cost_estimate)
    for name in _ACTIVITY_PLAIN_FIELDS:
        values[name] = getattr(activity, name)
    return values


def activity_from_row(row: Row) -> Activity:
    """Rebuild an activity from its row."""
    return Activity(
        id=row["source_id"],
        type=ActivityType(row["type"]),
        status=ActivityStatus(row["status"]),
        percent_complete_type=PercentCompleteType(row["percent_complete_type"]),
        duration_estimate=estimate_from_json(row["duration_estimate"]),
        cost_estimate=estimate_from_json(row["cost_estimate"]),
        **{name: row[name] for name in _ACTIVITY_PLAIN_FIELDS},
    )


def relationship_values(
    project_id: uuid.UUID, position: int, relationship: Relationship
) -> Values:
    """Return the row of one relationship."""
    return {
        **_child(project_id, position),
        "predecessor_id": relationship.predecessor_id,
        "successor_id": relationship.successor_id,
        "type": relationship.type.value,
        "lag_hours": relationship.lag_hours,
    }


def relationship_from_row(row: Row) -> Relationship:
    """Rebuild a relationship from its row."""
    return Relationship(
        predecessor_id=row["predecessor_id"],
        successor_id=row["successor_id"],
        type=RelationshipType(row["type"]),
        lag_hours=row["lag_hours"],
    )


def resource_values(project_id: uuid.UUID, position: int, resource: Resource) -> Values:
    """Return the row of one resource."""
    return {
        **_child(project_id, position),
        "source_id": resource.id,
        "name": resource.name,
        "type": resource.type,
        "unit": resource.unit,
        "calendar_id": resource.calendar_id,
    }


def resource_from_row(row: Row) -> Resource:
    """Rebuild a resource from its row."""
    return Resource(
        id=row["source_id"],
        name=row["name"],
        type=row["type"],
        unit=row["unit"],
        calendar_id=row["calendar_id"],
    )


def assignment_values(project_id: uuid.UUID, position: int, assignment: Assignment) -> Values:
    """Return the row of one resource assignment."""
    values = _child(project_id, position)
    values["source_id"] = assignment.id
    for name in _ASSIGNMENT_PLAIN_FIELDS:
        values[name] = getattr(assignment, name)
    return values


def assignment_from_row(row: Row) -> Assignment:
    """Rebuild a resource assignment from its row."""
    return Assignment(
        id=row["source_id"], **{name: row[name] for name in _ASSIGNMENT_PLAIN_FIELDS}
    )


def risk_values(project_id: uuid.UUID, position: int, risk: Risk) -> Values:
    """Return the row of one risk."""
    return {
        **_child(project_id, position),
        "source_id": risk.id,
        "title": risk.title,
        "probability": risk.probability,
        "description": risk.description,
        "duration_impact_hours": estimate_to_json(risk.duration_impact_hours),
        "cost_impact": estimate_to_json(risk.cost_impact),
        "affected_activity_ids": list(risk.affected_activity_ids),
        "owner": risk.owner,
        "status": risk.status,
        "due_date": risk.due_date,
    }


def risk_from_row(row: Row) -> Risk:
    """Rebuild a risk from its row."""
    return Risk(
        id=row["source_id"],
        title=row["title"],
        probability=row["probability"],
        description=row["description"],
        duration_impact_hours=estimate_from_json(row["duration_impact_hours"]),
        cost_impact=estimate_from_json(row["cost_impact"]),
        affected_activity_ids=tuple(row["affected_activity_ids"]),
        owner=row["owner"],
        status=row["status"],
        due_date=row["due_date"],
    )


def monthly_actual_values(project_id: uuid.UUID, position: int, actual: MonthlyActual) -> Values:
    """Return the row of one month's cumulative figures."""
    return {
        **_child(project_id, position),
        "month": actual.month,
        "actual_cost": actual.actual_cost,
        "earned_value": actual.earned_value,
        "planned_value": actual.planned_value,
    }


def monthly_actual_from_row(row: Row) -> MonthlyActual:
    """Rebuild one month's cumulative figures from its row."""
    return MonthlyActual(
        month=row["month"],
        actual_cost=row["actual_cost"],
        earned_value=row["earned_value"],
        planned_value=row["planned_value"],
    )
