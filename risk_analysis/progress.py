"""Progress of network activities as arrays: status, remaining work and actual dates.

Actual dates become working hours of each activity's calendar from the data date.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from risk_analysis.calendars import CalendarSet
from risk_analysis.errors import NetworkError
from risk_analysis.pass_plan import Progress
from schedules.model import Activity, ActivityStatus, Project

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_PROGRESS = {
    ActivityStatus.NOT_STARTED: Progress.NOT_STARTED,
    ActivityStatus.IN_PROGRESS: Progress.IN_PROGRESS,
    ActivityStatus.COMPLETED: Progress.COMPLETED,
}


def progress_arrays(
    project: Project,
    ordered: Sequence[Activity],
    calendars: CalendarSet | None,
    calendar_index: IntArray,
) -> tuple[npt.NDArray[np.int8], FloatArray, FloatArray, FloatArray]:
    """Return progress codes, remaining hours and actual starts and finishes in hours."""
    progress = np.array([_PROGRESS[activity.status] for activity in ordered], dtype=np.int8)
    remaining = np.array([_remaining_hours(activity) for activity in ordered], dtype=np.float64)
    remaining[progress == Progress.COMPLETED] = 0.0
    actual_start = offsets(project, [a.actual_start for a in ordered], calendars, calendar_index)
    actual_finish = offsets(project, [a.actual_finish for a in ordered], calendars, calendar_index)
    actual_start[progress == Progress.NOT_STARTED] = np.nan
    actual_finish[progress != Progress.COMPLETED] = np.nan

    in_progress = progress == Progress.IN_PROGRESS
    completed = progress == Progress.COMPLETED
    original = np.array([a.original_duration_hours for a in ordered], dtype=np.float64)
    # NOTE: progress without actual dates is placed at the data date: a completed activity
    # finishes there and an in-progress one counts as started there.
    actual_start[in_progress & np.isnan(actual_start)] = 0.0
    actual_finish[completed & np.isnan(actual_finish)] = 0.0
    undated = completed & np.isnan(actual_start)
    actual_start[undated] = actual_finish[undated] - original[undated]
    return progress, remaining, actual_start, actual_finish


def _remaining_hours(activity: Activity) -> float:
    hours = activity.remaining_duration_hours
    if activity.status is ActivityStatus.NOT_STARTED and hours <= 0.0:
        # Some exports leave the remaining duration empty until work starts.
        hours = activity.original_duration_hours
    if not math.isfinite(hours):
        raise NetworkError(
            f"activity {activity.code or activity.id} has a remaining duration of {hours} h, "
            "which is not a finite number; correct its remaining or original duration",
            (activity.code or activity.id,),
        )
    if hours < 0.0:
        logger.warning(
            "activity %s has a negative remaining duration (%.2f h); using zero",
            activity.code or activity.id,
            hours,
        )
        return 0.0
    return hours


def offsets(
    project: Project,
    instants: Sequence[datetime | None],
    calendars: CalendarSet | None,
    calendar_index: IntArray,
) -> FloatArray:
    """Return each instant in working hours of its activity's calendar (NaN where None)."""
    offsets = np.full(len(instants), np.nan, dtype=np.float64)
    known = np.array([instant is not None for instant in instants], dtype=np.bool_)
    if not known.any():
        return offsets
    if calendars is None:
        raise NetworkError(
            f"project {project.name!r} has actual dates but no calendar to measure them in "
            "working hours; import the project with its calendars",
        )
    for calendar in np.unique(calendar_index[known]):
        chosen = np.flatnonzero(known & (calendar_index == calendar))
        moments = [instant for i in chosen if (instant := instants[int(i)]) is not None]
        offsets[chosen] = calendars.working_hours(int(calendar), moments)
    return offsets


def completed_finish(
    project: Project,
    ordered: Sequence[Activity],
    calendars: CalendarSet | None,
    actual_finish: FloatArray,
) -> float:
    """Return the latest actual finish in elapsed hours (plain hours without calendars)."""
    completed = [
        index
        for index, activity in enumerate(ordered)
        if activity.status is ActivityStatus.COMPLETED
    ]
    if not completed:
        return -np.inf
    if calendars is None:
        return float(np.max(actual_finish[completed]))
    finishes = [ordered[index].actual_finish or project.data_date for index in completed]
    return max(calendars.elapsed(moment) for moment in finishes)


def spread(
    size: int, positions: Sequence[int], moments: Sequence[datetime]
) -> list[datetime | None]:
    """Return a list of ``size`` instants with ``moments`` at ``positions``, None elsewhere."""
    spread: list[datetime | None] = [None] * size
    for position, moment in zip(positions, moments, strict=True):
        spread[position] = moment
    return spread
