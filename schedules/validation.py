"""Checks that every imported project passes before any analysis uses it.

``check_contents`` runs on the reader's output and rejects what no repair can fix: a project
without activities, activities that share an id, and a data date outside the plausible years.
``validate_project`` runs after the repairs of ``schedules.sanity``: it checks every number
(``schedules.values``), replaces calendars without working time, and rejects logic cycles
(``schedules.logic``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from schedules.errors import InvalidProjectError
from schedules.logic import check_logic
from schedules.model import Calendar, ImportWarning, Project
from schedules.sanity import EARLIEST_SANE, LATEST_SANE, listed_codes
from schedules.values import check_values

MAX_LISTED_IDS = 5
# Where each format stores the data date, so that a rejection names the field to correct.
_DATA_DATE_SOURCES = {
    "xer": "the P6 data date (last_recalc_date)",
    "mspdi": "the Microsoft Project status date",
    "json": "$.project.data_date",
}


def check_contents(project: Project) -> None:
    """Reject a project without activities, with repeated activity ids or an impossible data date.

    Raises:
        InvalidProjectError: ``invalid_project``, naming the problem.
    """
    if not project.activities:
        raise InvalidProjectError(
            "the file contains no activities, so there is nothing to report on (summary "
            "tasks and WBS nodes are not activities); export the project with its activities"
        )
    _check_unique_ids(project)
    if not EARLIEST_SANE <= project.data_date <= LATEST_SANE:
        source = _DATA_DATE_SOURCES.get(project.source_format, "the data date")
        raise InvalidProjectError(
            f"the data date {project.data_date.isoformat(' ', 'minutes')} is outside the years "
            f"{EARLIEST_SANE.year} to {LATEST_SANE.year}, and every analysis is measured from "
            f"it; set {source} to the date progress was recorded and import the file again"
        )


def validate_project(project: Project) -> tuple[Project, list[ImportWarning]]:
    """Check the numbers, replace idle calendars and reject logic cycles.

    Raises:
        InvalidProjectError: ``invalid_values`` for a number out of range or a negative
            budget, ``invalid_project`` for a cycle or a file whose calendars never work.
    """
    project, warnings = check_values(project)
    project, replaced = replace_idle_calendars(project)
    check_logic(project)
    return project, warnings + replaced


def replace_idle_calendars(project: Project) -> tuple[Project, list[ImportWarning]]:
    """Move activities and resources off calendars without working time onto the default.

    When the default calendar itself has no working time, the working calendar that most
    activities use becomes the default. Idle calendars are left out of the project, because
    no duration can be measured on them.

    Raises:
        InvalidProjectError: no calendar of the file has any working time.
    """
    idle = [calendar for calendar in project.calendars if not _has_working_time(calendar)]
    if not idle:
        return project, []
    working = [calendar for calendar in project.calendars if _has_working_time(calendar)]
    if not working:
        names = ", ".join(f"{c.id} ({c.name})" for c in idle[:MAX_LISTED_IDS])
        raise InvalidProjectError(
            f"none of the file's calendars has any working time ({names}), so no duration "
            "can be scheduled; give the project calendar working days and import it again"
        )
    idle_ids = {calendar.id for calendar in idle}
    default_id = project.default_calendar_id
    warnings = []
    if default_id in idle_ids:
        default_id = _most_used(project, working).id
        warnings.append(_default_warning(project, default_id))
    affected = [a for a in project.activities if a.calendar_id in idle_ids]
    activities = tuple(
        replace(a, calendar_id=default_id) if a.calendar_id in idle_ids else a
        for a in project.activities
    )
    resources = tuple(
        replace(r, calendar_id=default_id) if r.calendar_id in idle_ids else r
        for r in project.resources
    )
    names = ", ".join(f"{c.id} ({c.name})" for c in idle[:MAX_LISTED_IDS])
    warnings.append(
        ImportWarning(
            "calendar_without_working_time",
            f"{len(idle)} calendars have no working time ({names}) and were left out; the "
            f"{len(affected)} activities on them use the default calendar {default_id} "
            "instead. Give those calendars working days if the activities need their own.",
            listed_codes(affected),
        )
    )
    project = replace(
        project,
        calendars=tuple(working),
        default_calendar_id=default_id,
        activities=activities,
        resources=resources,
    )
    return project, warnings


def _check_unique_ids(project: Project) -> None:
    counts = Counter(activity.id for activity in project.activities)
    repeated = [activity_id for activity_id, count in counts.items() if count > 1]
    if not repeated:
        return
    first = repeated[0]
    codes = ", ".join(a.code for a in project.activities if a.id == first)
    problem = "have no id" if first == "" else f"share the id {first!r}"
    others = f"; {len(repeated) - 1} more ids repeat" if len(repeated) > 1 else ""
    raise InvalidProjectError(
        f"{counts[first]} activities {problem} (codes {codes}){others}. Each activity needs its "
        "own id (the P6 task_id or the Microsoft Project UID); export the project again"
    )


def _has_working_time(calendar: Calendar) -> bool:
    # NOTE: any working time counts, even one exception day years away from the project's
    # dates; the CPM engine still rejects a calendar that never works within its date range.
    days = list(calendar.week) + list(calendar.exceptions.values())
    return any(interval.hours > 0 for intervals in days for interval in intervals)


def _most_used(project: Project, working: list[Calendar]) -> Calendar:
    usage = Counter(activity.calendar_id for activity in project.activities)
    return max(working, key=lambda calendar: usage[calendar.id])


def _default_warning(project: Project, default_id: str) -> ImportWarning:
    return ImportWarning(
        "default_calendar_replaced",
        f"the project's default calendar {project.default_calendar_id} has no working time, "
        f"so calendar {default_id}, the working calendar most activities use, became the "
        "default.",
    )
