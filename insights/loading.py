"""Resource loading: what each resource delivered per month so far and what it must deliver.

Units are spread evenly over calendar days: actual units from an activity's actual start to
its actual finish (or the data date), remaining units over the forecast window of its
remaining work. NOTE: calendar days, not the resource's working calendar, so a month with
many holidays shows a little less demand per working day than it carries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from insights.facts import ResourceFacts, ResourceLoad
from schedules.model import Activity, ActivityStatus, Assignment, Project, Resource

# Forecast window of an activity's remaining work: start and finish.
Window = tuple[datetime, datetime]
# Materials and lump-sum cost resources have no rate of work to overload.
_LOADED_TYPES = ("labor", "nonlabor")


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def spread_by_month(units: float, start: datetime, finish: datetime) -> dict[str, float]:
    """Spread ``units`` evenly over the calendar time from ``start`` to ``finish``."""
    if units == 0:
        return {}
    if finish <= start:
        return {month_key(start.date()): units}
    total = (finish - start).total_seconds()
    shares: dict[str, float] = {}
    cursor = start
    while cursor < finish:
        next_month = _first_of_next_month(cursor)
        end = min(next_month, finish)
        key = month_key(cursor.date())
        shares[key] = shares.get(key, 0.0) + units * (end - cursor).total_seconds() / total
        cursor = end
    return shares


def _first_of_next_month(moment: datetime) -> datetime:
    following = moment.replace(day=28) + timedelta(days=4)
    return datetime(following.year, following.month, 1)


def resource_facts(project: Project, windows: Mapping[str, Window]) -> ResourceFacts:
    """Return the loading of every resource with assignments, in resource order.

    ``windows`` maps activity ids to the forecast start and finish of their remaining work,
    normally from the CPM pass; activities missing from it fall back to the file's early
    or planned dates.
    """
    activities = {activity.id: activity for activity in project.activities}
    by_resource: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in project.assignments:
        if assignment.resource_id is not None and assignment.activity_id in activities:
            by_resource[assignment.resource_id].append(assignment)
    loads = [
        _load(resource, by_resource[resource.id], activities, windows, project.data_date)
        for resource in project.resources
        if by_resource.get(resource.id)
    ]
    return ResourceFacts(loads=tuple(loads))


def _load(
    resource: Resource,
    assignments: list[Assignment],
    activities: Mapping[str, Activity],
    windows: Mapping[str, Window],
    data_date: datetime,
) -> ResourceLoad:
    history: dict[str, float] = defaultdict(float)
    demand: dict[str, float] = defaultdict(float)
    loaded = resource.type in _LOADED_TYPES
    for assignment in assignments:
        activity = activities[assignment.activity_id]
        if loaded and assignment.actual_units > 0 and activity.actual_start is not None:
            finish = activity.actual_finish or data_date
            for key, units in spread_by_month(
                assignment.actual_units, activity.actual_start, finish
            ).items():
                history[key] += units
        window = _forecast_window(activity, windows, data_date)
        if loaded and assignment.remaining_units > 0 and window is not None:
            for key, units in spread_by_month(assignment.remaining_units, *window).items():
                demand[key] += units
    return ResourceLoad(
        resource_id=resource.id,
        name=resource.name,
        type=resource.type,
        unit=resource.unit,
        assignments=len(assignments),
        budgeted_cost=sum(a.budgeted_cost for a in assignments),
        actual_cost=sum(a.actual_cost for a in assignments),
        remaining_cost=sum(a.remaining_cost for a in assignments),
        budgeted_units=sum(a.budgeted_units for a in assignments),
        actual_units=sum(a.actual_units for a in assignments),
        remaining_units=sum(a.remaining_units for a in assignments),
        history_months=sum(1 for units in history.values() if units > 0),
        demonstrated_rate=max(history.values()) if history else None,
        demand=tuple(sorted(demand.items())),
    )


def _forecast_window(
    activity: Activity, windows: Mapping[str, Window], data_date: datetime
) -> Window | None:
    if activity.status is ActivityStatus.COMPLETED:
        return None
    if activity.id in windows:
        return windows[activity.id]
    start = activity.early_start or activity.planned_start
    finish = activity.early_finish or activity.planned_finish
    if start is None or finish is None:
        return None
    return max(start, data_date), max(finish, data_date)
