"""DCMA 14-point schedule checks that can be computed from an imported file.

Most checks count incomplete activities, leaving out level-of-effort and WBS summaries, and
compare the share with the DCMA threshold. A passing check adds nothing; a failing one adds
one warning with the count, the share, the threshold and the first offending codes.

NOTE: checks 12 (critical path test) and 13 (CPLI) need a CPM pass and are left to the
schedule analysis; nothing here reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from schedules.constraints import HARD_CONSTRAINTS
from schedules.model import (
    Activity,
    ActivityStatus,
    ImportWarning,
    Project,
    Relationship,
    RelationshipType,
)
from schedules.sanity import listed_codes

HIGH_FLOAT_DAYS = 44.0
HIGH_DURATION_DAYS = 44.0
MAX_SHARE = 0.05
MIN_FINISH_TO_START_SHARE = 0.90
MIN_BASELINE_EXECUTION_INDEX = 0.95
_DEFAULT_HOURS_PER_DAY = 8.0
_LAST_INSTANT = datetime.max
_FIRST_INSTANT = datetime.min


@dataclass(frozen=True, slots=True)
class _Context:
    project: Project
    work: tuple[Activity, ...]
    links: tuple[Relationship, ...]
    by_id: dict[str, Activity]
    hours_per_day: Callable[[Activity], float]


def dcma_checks(project: Project) -> list[ImportWarning]:
    """Run the DCMA checks on a repaired project and return one warning per failed check."""
    context = _context(project)
    checks = (
        _logic,
        _leads,
        _lags,
        _relationship_types,
        _hard_constraints,
        _high_float,
        _negative_float,
        _high_duration,
        _invalid_dates,
        _resources,
        _missed_tasks,
        _baseline_execution_index,
    )
    return [warning for check in checks if (warning := check(context)) is not None]


def _context(project: Project) -> _Context:
    by_id = {activity.id: activity for activity in project.activities}
    work = tuple(
        a
        for a in project.activities
        if not a.type.is_summary and a.status is not ActivityStatus.COMPLETED
    )
    incomplete = {activity.id for activity in work}
    links = tuple(r for r in project.relationships if r.successor_id in incomplete)
    calendars = project.calendars_by_id()
    default = calendars.get(project.default_calendar_id or "")

    def hours_per_day(activity: Activity) -> float:
        calendar = calendars.get(activity.calendar_id or "") or default
        return calendar.hours_per_day if calendar else _DEFAULT_HOURS_PER_DAY

    return _Context(project, work, links, by_id, hours_per_day)


def _share_finding(
    code: str,
    offenders: Sequence[Activity],
    total: int,
    description: str,
    *,
    max_share: float = MAX_SHARE,
) -> ImportWarning | None:
    """Return a warning when offenders make up ``max_share`` or more of ``total``."""
    if total == 0 or not offenders:
        return None
    share = len(offenders) / total
    if max_share > 0 and share < max_share:
        return None
    limit = f"under {max_share:.0%}" if max_share > 0 else "zero"
    listed = listed_codes(offenders)
    return ImportWarning(
        code,
        f"DCMA {description}: {len(offenders):,} of {total:,} ({share:.1%}), against a threshold "
        f"of {limit}. The first {len(listed)} activity codes are listed.",
        listed,
    )


def _successors(context: _Context, links: Sequence[Relationship]) -> list[Activity]:
    return [
        context.by_id[link.successor_id] for link in links if link.successor_id in context.by_id
    ]


def _logic(context: _Context) -> ImportWarning | None:
    has_predecessor = {r.successor_id for r in context.project.relationships}
    has_successor = {r.predecessor_id for r in context.project.relationships}
    exempt = _project_ends(context.work, has_predecessor, has_successor)
    open_ended = [
        a
        for a in context.work
        if (a.id not in has_predecessor or a.id not in has_successor) and a.id not in exempt
    ]
    return _share_finding(
        "dcma_logic",
        open_ended,
        len(context.work),
        "logic, incomplete activities missing a predecessor, a successor or both (the "
        "project's first activity and last activity are exempt)",
    )


def _project_ends(
    work: Sequence[Activity], has_predecessor: set[str], has_successor: set[str]
) -> set[str]:
    """Return the ids of the project's own start and finish, which DCMA logic exempts.

    The start is the earliest-starting activity when it lacks only a predecessor, the finish
    the latest-finishing one when it lacks only a successor. Among activities on the same
    date, the open-ended one is taken.
    """
    if not work:
        return set()

    def start_key(activity: Activity) -> tuple[datetime, bool]:
        start = activity.early_start or activity.planned_start or _LAST_INSTANT
        return start, activity.id in has_predecessor

    def finish_key(activity: Activity) -> tuple[datetime, bool]:
        finish = activity.early_finish or activity.planned_finish or _FIRST_INSTANT
        return finish, activity.id not in has_successor

    first, last = min(work, key=start_key), max(work, key=finish_key)
    ends = set()
    if first.id not in has_predecessor and first.id in has_successor:
        ends.add(first.id)
    if last.id in has_predecessor and last.id not in has_successor:
        ends.add(last.id)
    return ends


def _leads(context: _Context) -> ImportWarning | None:
    leads = [link for link in context.links if link.lag_hours < 0]
    return _share_finding(
        "dcma_leads",
        _successors(context, leads),
        len(context.links),
        "leads, relationships into incomplete activities with a negative lag",
        max_share=0.0,
    )


def _lags(context: _Context) -> ImportWarning | None:
    lags = [link for link in context.links if link.lag_hours > 0]
    return _share_finding(
        "dcma_lags",
        _successors(context, lags),
        len(context.links),
        "lags, relationships into incomplete activities with a positive lag",
    )


def _relationship_types(context: _Context) -> ImportWarning | None:
    other = [link for link in context.links if link.type is not RelationshipType.FS]
    return _share_finding(
        "dcma_relationship_types",
        _successors(context, other),
        len(context.links),
        "relationship types, relationships into incomplete activities other than "
        "finish-to-start (at least 90% should be finish-to-start)",
        max_share=1 - MIN_FINISH_TO_START_SHARE,
    )


def _hard_constraints(context: _Context) -> ImportWarning | None:
    hard = [a for a in context.work if a.constraint_type in HARD_CONSTRAINTS]
    return _share_finding(
        "dcma_hard_constraints",
        hard,
        len(context.work),
        "hard constraints, incomplete activities with a start-on, finish-on, "
        "no-later-than or mandatory constraint",
    )


def _high_float(context: _Context) -> ImportWarning | None:
    high = [
        a
        for a in context.work
        if a.total_float_hours is not None
        and a.total_float_hours > HIGH_FLOAT_DAYS * context.hours_per_day(a)
    ]
    return _share_finding(
        "dcma_high_float",
        high,
        len(context.work),
        f"high float, incomplete activities with total float over {HIGH_FLOAT_DAYS:g} "
        "working days",
    )


def _negative_float(context: _Context) -> ImportWarning | None:
    negative = [a for a in context.work if (a.total_float_hours or 0.0) < 0]
    return _share_finding(
        "dcma_negative_float",
        negative,
        len(context.work),
        "negative float, incomplete activities with total float below zero",
        max_share=0.0,
    )


def _high_duration(context: _Context) -> ImportWarning | None:
    tasks = [a for a in context.work if not a.type.is_milestone]
    long = [
        a
        for a in tasks
        if a.remaining_duration_hours > HIGH_DURATION_DAYS * context.hours_per_day(a)
    ]
    return _share_finding(
        "dcma_high_duration",
        long,
        len(tasks),
        f"high duration, incomplete tasks with remaining duration over "
        f"{HIGH_DURATION_DAYS:g} working days",
    )


def _invalid_dates(context: _Context) -> ImportWarning | None:
    data_date = context.project.data_date
    activities = [a for a in context.project.activities if not a.type.is_summary]
    invalid = [a for a in activities if _has_invalid_date(a, data_date)]
    return _share_finding(
        "dcma_invalid_dates",
        invalid,
        len(activities),
        f"invalid dates, activities with actual dates after the data date "
        f"{data_date:%Y-%m-%d %H:%M} or forecast dates before it",
        max_share=0.0,
    )


def _has_invalid_date(activity: Activity, data_date: datetime) -> bool:
    actuals = (activity.actual_start, activity.actual_finish)
    if any(moment is not None and moment > data_date for moment in actuals):
        return True
    # Forecast dates are the early dates of the work that remains.
    forecasts = []
    if activity.status is not ActivityStatus.COMPLETED:
        forecasts.append(activity.early_finish)
    if activity.status is ActivityStatus.NOT_STARTED:
        forecasts.append(activity.early_start)
    return any(moment is not None and moment < data_date for moment in forecasts)


def _resources(context: _Context) -> ImportWarning | None:
    assigned = {assignment.activity_id for assignment in context.project.assignments}
    tasks = [a for a in context.work if a.original_duration_hours > 0]
    unloaded = [a for a in tasks if a.id not in assigned and a.budgeted_cost == 0]
    return _share_finding(
        "dcma_resources",
        unloaded,
        len(tasks),
        "resources, incomplete activities with a duration but neither resources nor cost",
        max_share=0.0,
    )


def _reference_finish(context: _Context) -> tuple[Callable[[Activity], datetime | None], str]:
    if any(a.baseline_finish for a in context.project.activities):
        return (lambda a: a.baseline_finish), "baseline"
    return (lambda a: a.planned_finish), "planned"


def _missed_tasks(context: _Context) -> ImportWarning | None:
    data_date = context.project.data_date
    finish_of, source = _reference_finish(context)
    due = [a for a in _measured(context) if (f := finish_of(a)) is not None and f <= data_date]
    missed = [
        a
        for a in due
        if a.status is not ActivityStatus.COMPLETED
        or (a.actual_finish is not None and a.actual_finish > (finish_of(a) or a.actual_finish))
    ]
    return _share_finding(
        "dcma_missed_tasks",
        missed,
        len(due),
        f"missed tasks, activities due by the data date on their {source} finish that "
        f"finished late or not at all{_no_baseline_note(source)}",
    )


def _baseline_execution_index(context: _Context) -> ImportWarning | None:
    data_date = context.project.data_date
    finish_of, source = _reference_finish(context)
    measured = _measured(context)
    due = [a for a in measured if (f := finish_of(a)) is not None and f <= data_date]
    if not due:
        return None
    completed = [a for a in measured if a.status is ActivityStatus.COMPLETED]
    index = len(completed) / len(due)
    if index >= MIN_BASELINE_EXECUTION_INDEX:
        return None
    listed = listed_codes(a for a in due if a.status is not ActivityStatus.COMPLETED)
    return ImportWarning(
        "dcma_bei",
        f"DCMA baseline execution index: {len(completed):,} activities completed against "
        f"{len(due):,} due by the data date on their {source} finish, an index of "
        f"{index:.2f} against a threshold of at least {MIN_BASELINE_EXECUTION_INDEX:.2f}"
        f"{_no_baseline_note(source)}. The codes of the first {len(listed)} activities due "
        "but not completed are listed.",
        listed,
    )


def _measured(context: _Context) -> list[Activity]:
    return [a for a in context.project.activities if not a.type.is_summary]


def _no_baseline_note(source: str) -> str:
    if source == "baseline":
        return ""
    return " (the file has no separate baseline, so the current planned dates stand in for it)"
