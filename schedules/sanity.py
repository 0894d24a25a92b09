"""Repairs and data-quality findings that every reader's output goes through.

Each repair changes the project only where a value cannot be right (a date centuries away, a
duration longer than its dates allow, a relationship to a missing activity) and reports what
it did as an ``ImportWarning``. The DCMA checks live in ``schedules.quality``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, time
from typing import Any

from schedules.model import (
    ACTIVITY_DATE_FIELDS,
    Activity,
    ActivityStatus,
    Calendar,
    ImportWarning,
    PercentCompleteType,
    Project,
    Relationship,
    WorkInterval,
)
from schedules.worktime import WorkingTime, WorkingTimeError

logger = logging.getLogger(__name__)

EARLIEST_SANE = datetime(1950, 1, 1)
LATEST_SANE = datetime(2150, 12, 31, 23, 59)
MAX_LISTED_CODES = 20

_DATE_FIELDS = (*ACTIVITY_DATE_FIELDS, "constraint_date")
_EARNED_VALUE_NOTE = {
    "planned_start": "earned value time-phases their budget from the early start instead",
    "planned_finish": "earned value time-phases their budget up to the early finish instead",
}
# A duration counts as grossly inconsistent when it exceeds twice the elapsed hours between
# the activity's dates plus a day: no calendar has more working hours than elapsed hours.
_DURATION_SLACK_FACTOR = 2.0
_DURATION_SLACK_HOURS = 24.0
_FALLBACK_DAY = (WorkInterval(time(8), time(16)),)
_FALLBACK_CALENDAR = Calendar(
    "fallback-5x8", "Monday to Friday, 8 hours", 8.0, 40.0, (_FALLBACK_DAY,) * 5 + ((), ())
)


def repair_project(project: Project) -> tuple[Project, list[ImportWarning]]:
    """Repair impossible values and report them, with the other data-quality findings."""
    warnings: list[ImportWarning] = []
    project = _drop_unknown_calendars(project, warnings)
    project = _drop_out_of_range_dates(project, warnings)
    project = _repair_durations(project, warnings)
    project = _drop_dangling_links(project, warnings)
    project = _derive_project_dates(project, warnings)
    warnings.extend(_duplicate_codes(project.activities))
    warnings.extend(_cost_without_dates(project.activities))
    return project, warnings


def listed_codes(activities: Iterable[Activity]) -> tuple[str, ...]:
    """Return the distinct codes of the first activities, as many as a warning lists."""
    codes: dict[str, None] = {}
    for activity in activities:
        if len(codes) == MAX_LISTED_CODES:
            break
        codes[activity.code] = None
    return tuple(codes)


def _format_moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _drop_unknown_calendars(project: Project, warnings: list[ImportWarning]) -> Project:
    known = {calendar.id for calendar in project.calendars}
    unknown = [a for a in project.activities if a.calendar_id and a.calendar_id not in known]
    if not unknown:
        return project
    missing = sorted({activity.calendar_id or "" for activity in unknown})
    warnings.append(
        ImportWarning(
            "unknown_calendar",
            f"{len(unknown)} activities use calendars that the file does not define "
            f"({', '.join(missing[:10])}); they use the project's default calendar instead.",
            listed_codes(unknown),
        )
    )
    dropped = {a.id for a in unknown}
    activities = tuple(
        replace(a, calendar_id=None) if a.id in dropped else a for a in project.activities
    )
    return replace(project, activities=activities)


def _drop_out_of_range_dates(project: Project, warnings: list[ImportWarning]) -> Project:
    cleared: dict[str, list[tuple[Activity, datetime]]] = {name: [] for name in _DATE_FIELDS}
    activities = []
    for activity in project.activities:
        changes: dict[str, Any] = {}
        for name in _DATE_FIELDS:
            moment = getattr(activity, name)
            if moment is not None and not EARLIEST_SANE <= moment <= LATEST_SANE:
                changes[name] = None
                cleared[name].append((activity, moment))
        activities.append(replace(activity, **changes) if changes else activity)
    for name, found in cleared.items():
        if found:
            warnings.append(_out_of_range_warning(name, found))
    assignments = tuple(
        replace(
            assignment,
            planned_start=_in_range_or_none(assignment.planned_start),
            planned_finish=_in_range_or_none(assignment.planned_finish),
        )
        for assignment in project.assignments
    )
    return replace(project, activities=tuple(activities), assignments=assignments)


def _in_range_or_none(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and EARLIEST_SANE <= moment <= LATEST_SANE else None


def _out_of_range_warning(name: str, found: list[tuple[Activity, datetime]]) -> ImportWarning:
    label = name.replace("_", " ")
    examples = ", ".join(f"{a.code}: {_format_moment(m)}" for a, m in found[:3])
    consequence = _EARNED_VALUE_NOTE.get(name, "the date is treated as unknown")
    return ImportWarning(
        "date_out_of_range",
        f"{len(found)} activities had a {label} outside the years {EARLIEST_SANE.year} to "
        f"{LATEST_SANE.year} ({examples}); the date was removed, and {consequence}.",
        listed_codes(activity for activity, _ in found),
    )


def _repair_durations(project: Project, warnings: list[ImportWarning]) -> Project:
    clocks: dict[str, WorkingTime] = {}
    replaced: list[tuple[Activity, Activity, datetime, datetime]] = []
    activities = []
    for activity in project.activities:
        span = _date_span(activity)
        if span is None or not _duration_inconsistent(activity, *span):
            activities.append(activity)
            continue
        calendar = _calendar_for(project, activity)
        try:
            clock = clocks.get(calendar.id)
            if clock is None:
                clock = WorkingTime(calendar, span[0].date(), span[1].date())
                clocks[calendar.id] = clock
            hours = round(clock.hours_between(*span), 2)
        except WorkingTimeError as error:
            logger.debug("duration of %s not derived: %s", activity.code, error)
            hours = 0.0
        if hours <= 0:
            # Dates without working time between them cannot stand in for a duration.
            activities.append(activity)
            continue
        repaired = replace(activity, original_duration_hours=hours)
        repaired = replace(repaired, percent_complete=_duration_percent(repaired))
        replaced.append((activity, repaired, *span))
        activities.append(repaired)
    if replaced:
        warnings.append(_duration_warning(replaced))
    return replace(project, activities=tuple(activities))


def _date_span(activity: Activity) -> tuple[datetime, datetime] | None:
    # The original duration belongs to the plan, so planned dates come first. A later
    # candidate is used when a date is missing or the pair runs backwards.
    starts = (activity.planned_start, activity.actual_start, activity.early_start)
    finishes = (activity.planned_finish, activity.actual_finish, activity.early_finish)
    for start in starts:
        for finish in finishes:
            if start is not None and finish is not None and finish >= start:
                return start, finish
    return None


def _duration_inconsistent(activity: Activity, start: datetime, finish: datetime) -> bool:
    elapsed_hours = (finish - start).total_seconds() / 3600
    limit = elapsed_hours * _DURATION_SLACK_FACTOR + _DURATION_SLACK_HOURS
    return activity.original_duration_hours > limit


def _calendar_for(project: Project, activity: Activity) -> Calendar:
    calendars = project.calendars_by_id()
    for calendar_id in (activity.calendar_id, project.default_calendar_id):
        if calendar_id in calendars:
            return calendars[calendar_id]
    return _FALLBACK_CALENDAR


def _duration_percent(activity: Activity) -> float:
    if (
        activity.status is not ActivityStatus.IN_PROGRESS
        or activity.percent_complete_type is not PercentCompleteType.DURATION
    ):
        return activity.percent_complete
    original = activity.original_duration_hours
    if original <= 0:
        return 0.0
    return min(max((original - activity.remaining_duration_hours) / original, 0.0), 1.0)


def _duration_warning(
    replaced: Sequence[tuple[Activity, Activity, datetime, datetime]],
) -> ImportWarning:
    examples = "; ".join(
        f"{old.code}: {old.original_duration_hours:,.0f} h for {_format_moment(start)} to "
        f"{_format_moment(finish)} became {new.original_duration_hours:,.0f} h"
        for old, new, start, finish in replaced[:3]
    )
    return ImportWarning(
        "duration_inconsistent",
        f"{len(replaced)} activities had an original duration far longer than their dates "
        f"allow ({examples}). Each was replaced by the working hours on its calendar from "
        "its planned start to its planned finish (the actual or early date where a planned "
        "one is missing or runs backwards), and duration percent complete was recomputed "
        "from it.",
        listed_codes(old for old, _, _, _ in replaced),
    )


def _drop_dangling_links(project: Project, warnings: list[ImportWarning]) -> Project:
    by_id = {activity.id: activity for activity in project.activities}
    linked, dangling, loops = [], [], []
    for relationship in project.relationships:
        ends = (relationship.predecessor_id, relationship.successor_id)
        if not all(end in by_id for end in ends):
            dangling.append(relationship)
        elif ends[0] == ends[1]:
            loops.append(relationship)
        else:
            linked.append(relationship)
    if dangling:
        examples = ", ".join(f"{r.predecessor_id} -> {r.successor_id}" for r in dangling[:3])
        warnings.append(
            ImportWarning(
                "dangling_relationship",
                f"{len(dangling)} relationships refer to activities that are not in the "
                f"project ({examples}, by activity id) and were dropped.",
                listed_codes(_present_ends(dangling, by_id)),
            )
        )
    if loops:
        warnings.append(
            ImportWarning(
                "self_relationship",
                f"{len(loops)} relationships link an activity to itself and were dropped.",
                listed_codes(by_id[r.successor_id] for r in loops),
            )
        )
    assignments = tuple(a for a in project.assignments if a.activity_id in by_id)
    if len(assignments) < len(project.assignments):
        warnings.append(
            ImportWarning(
                "dangling_assignment",
                f"{len(project.assignments) - len(assignments)} resource assignments or "
                "expenses refer to activities that are not in the project and were dropped; "
                "their cost is not counted.",
            )
        )
    return replace(project, relationships=tuple(linked), assignments=assignments)


def _present_ends(
    relationships: Iterable[Relationship], by_id: dict[str, Activity]
) -> Iterable[Activity]:
    for relationship in relationships:
        for end in (relationship.predecessor_id, relationship.successor_id):
            if end in by_id:
                yield by_id[end]


def _derive_project_dates(project: Project, warnings: list[ImportWarning]) -> Project:
    if project.planned_start is not None and project.planned_finish is not None:
        return project
    starts = [a.planned_start or a.early_start for a in project.activities]
    finishes = [a.planned_finish or a.early_finish for a in project.activities]
    start = project.planned_start or min((s for s in starts if s), default=None)
    finish = project.planned_finish or max((f for f in finishes if f), default=None)
    derived = []
    if project.planned_start is None and start is not None:
        derived.append(f"planned start {_format_moment(start)} (the earliest activity start)")
    if project.planned_finish is None and finish is not None:
        derived.append(f"planned finish {_format_moment(finish)} (the latest activity finish)")
    if derived:
        warnings.append(
            ImportWarning(
                "project_dates_derived",
                f"the file gives no project {' or '.join(d.split()[1] for d in derived)}, "
                f"so the activities' dates set it: {' and '.join(derived)}.",
            )
        )
    return replace(project, planned_start=start, planned_finish=finish)


def _duplicate_codes(activities: Sequence[Activity]) -> list[ImportWarning]:
    counts = Counter(activity.code for activity in activities)
    duplicated = sorted(code for code, count in counts.items() if count > 1)
    if not duplicated:
        return []
    return [
        ImportWarning(
            "duplicate_activity_code",
            f"{len(duplicated)} activity codes are used by more than one activity "
            f"({', '.join(duplicated[:5])}); reports name these activities ambiguously. "
            "Give each activity its own code.",
            tuple(duplicated[:MAX_LISTED_CODES]),
        )
    ]


def _cost_without_dates(activities: Sequence[Activity]) -> list[ImportWarning]:
    undated = [
        activity
        for activity in activities
        if activity.budgeted_cost > 0
        and not any(getattr(activity, name) for name in _DATE_FIELDS[:6] + _DATE_FIELDS[8:10])
    ]
    if not undated:
        return []
    total = sum(activity.budgeted_cost for activity in undated)
    return [
        ImportWarning(
            "cost_without_dates",
            f"{len(undated)} activities carry {total:,.2f} of budget but no planned, early, "
            "late or baseline dates, so earned value cannot spread their budget over time. "
            "Schedule them and import again.",
            listed_codes(undated),
        )
    ]
