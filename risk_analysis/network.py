"""The schedule logic as arrays: activities in topological order with their links.

Each activity's times are working hours of its own calendar, counted from the project's data
date; calendars.py converts between calendars and to dates. An activity whose calendar the
project does not contain uses the reference calendar: the project default, else the most used
one. A project without calendars is scheduled in plain hours and has no dates.

Level-of-effort and WBS-summary activities span other work and carry no logic, so they stay
out of the network together with every relationship that touches them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from risk_analysis.calendars import CalendarSet, build_calendar_set
from risk_analysis.date_constraints import DateConstraints, build_constraints, unconstrained
from risk_analysis.errors import NetworkError
from risk_analysis.pass_plan import LinkTable, PassPlan, Timing, plan_passes
from risk_analysis.passes import early_times
from risk_analysis.passes import project_finish as latest_finish
from risk_analysis.progress import completed_finish, offsets, progress_arrays, spread
from risk_analysis.topology import Link, activities_by_id, network_links, topological_levels
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    Project,
    RelationshipType,
)
from schedules.worktime import SUPPORTED_DAYS, WorkingTime

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LINK_CODES: Mapping[RelationshipType, int] = {
    RelationshipType.FS: 0,
    RelationshipType.SS: 1,
    RelationshipType.FF: 2,
    RelationshipType.SF: 3,
}

# Calendar tables reach this far beyond the earliest and latest date the schedule names, so
# negative lags and late dates before the data date stay inside them.
_MARGIN_DAYS = 120
# Until the schedule is computed, tables reach this far past the data date at least.
_INITIAL_HORIZON_DAYS = 3 * 365
# The schedule's dates and its computed finish must lie within this many years of the data
# date. Beyond it the calendar tables (a tick per few minutes) grow too large to build, and
# Python's dates end at the year 9999.
MAX_SPAN_YEARS = 100
_MAX_SPAN = timedelta(days=365.25 * MAX_SPAN_YEARS)


@dataclass(frozen=True, slots=True, eq=False)
class Network:
    """Activities in topological order with their links, as arrays indexed by position.

    ``remaining_hours`` is the duration still to work (zero for completed activities).
    ``actual_start_hours`` and ``actual_finish_hours`` are offsets from the data date, NaN
    where an activity has not started or finished. ``actual_starts`` and
    ``actual_finishes`` keep the dates as the schedule states them. All hours are working
    hours of the activity's calendar, ``calendars.tables[calendar_index[i]]``. Links are
    sorted by successor position. ``levels`` contains the positions of each topological
    level, and each level is a contiguous range. ``working_time`` is the reference calendar.
    """

    activity_ids: tuple[str, ...]
    activity_codes: tuple[str, ...]
    activity_names: tuple[str, ...]
    positions: Mapping[str, int]
    remaining_hours: FloatArray
    progress: npt.NDArray[np.int8]
    actual_start_hours: FloatArray
    actual_finish_hours: FloatArray
    link_predecessors: IntArray
    link_successors: IntArray
    link_types: npt.NDArray[np.int8]
    link_lags: FloatArray
    levels: tuple[IntArray, ...]
    plan: PassPlan
    data_date: datetime
    working_time: WorkingTime | None
    calendars: CalendarSet | None
    calendar_index: IntArray
    constraints: DateConstraints
    actual_starts: tuple[datetime | None, ...]
    actual_finishes: tuple[datetime | None, ...]

    @property
    def size(self) -> int:
        return len(self.activity_ids)

    def position(self, activity_id: str) -> int:
        """Return the position of an activity; raise NetworkError when it is not in the network."""
        try:
            return self.positions[activity_id]
        except KeyError:
            raise NetworkError(
                f"activity {activity_id!r} is not in the schedule network; level-of-effort "
                "and WBS-summary activities are left out of it",
                (activity_id,),
            ) from None

    def instants(self, offsets: Sequence[float] | FloatArray, *, starts: bool) -> list[datetime]:
        """Convert offsets in working hours of the reference calendar to datetimes.

        A start on the boundary between two working periods is the start of the later one,
        a finish the end of the earlier one. Raise NetworkError without a calendar.
        """
        calendars = self._calendars()
        values = np.asarray(offsets, dtype=np.float64)
        table = calendars.tables[self.plan.reference]
        return calendars.instants(table.to_clock(values, finish=not starts))

    def activity_instants(self, offsets: FloatArray, *, starts: bool) -> list[datetime]:
        """Convert one start or finish per network activity, each on its calendar, to dates."""
        calendars = self._calendars()
        timing = self.plan.timing
        finish = timing.start_at_period_end if starts else ~timing.finish_at_period_start
        elapsed = calendars.clock_hours(self.calendar_index, offsets, finish)
        return calendars.instants(elapsed)

    def elapsed_instants(self, elapsed_hours: Sequence[float] | FloatArray) -> list[datetime]:
        """Convert elapsed hours from the data date to datetimes."""
        return self._calendars().instants(elapsed_hours)

    def _calendars(self) -> CalendarSet:
        if self.calendars is None:
            raise NetworkError(
                "the network has no calendar, so offsets cannot be turned into dates; "
                "give the project a default calendar"
            )
        return self.calendars


def select_calendar(project: Project) -> Calendar | None:
    """Return the project default calendar, else the one most activities use, else the first."""
    calendars = project.calendars_by_id()
    if project.default_calendar_id in calendars:
        return calendars[project.default_calendar_id]
    usage = Counter(
        activity.calendar_id
        for activity in project.activities
        if activity.calendar_id in calendars
    )
    if usage:
        calendar_id, _ = usage.most_common(1)[0]
        return calendars[str(calendar_id)]
    return project.calendars[0] if project.calendars else None


def build_network(project: Project, *, horizon_hours: float | None = None) -> Network:
    """Build the array form of the project's logic network.

    The calendar tables cover the schedule's dates and at least ``horizon_hours`` after the
    data date, and grow until they cover the project finish on the remaining durations.
    Raise NetworkError naming the activities when activity ids repeat, a relationship refers
    to an unknown activity, or the logic contains a cycle.
    """
    by_id = activities_by_id(project.activities)
    members = [activity for activity in project.activities if not activity.type.is_summary]
    links = network_links(project, by_id)
    levels = topological_levels(members, links, by_id)
    ordered = [activity for level in levels for activity in level]
    positions = {activity.id: index for index, activity in enumerate(ordered)}

    link_rows = sorted(
        (positions[succ], positions[pred], LINK_CODES[kind], lag)
        for pred, succ, kind, lag in links
    )
    table = LinkTable(
        predecessors=np.array([row[1] for row in link_rows], dtype=np.int64),
        successors=np.array([row[0] for row in link_rows], dtype=np.int64),
        types=np.array([row[2] for row in link_rows], dtype=np.int8),
        lags=np.array([row[3] for row in link_rows], dtype=np.float64),
    )
    bounds = np.cumsum([0] + [len(level) for level in levels])
    level_positions = tuple(
        np.arange(bounds[i], bounds[i + 1], dtype=np.int64) for i in range(len(levels))
    )
    first_day, last_day = _date_span(project, ordered)
    if horizon_hours is not None:
        last_day = max(last_day, (project.data_date + timedelta(hours=horizon_hours)).date())
    while True:
        network = _assemble(project, ordered, positions, table, level_positions,
                            (first_day, last_day))  # fmt: skip
        if network.calendars is None:
            return network
        plan = network.plan
        finish = float(latest_finish(plan, early_times(plan, network.remaining_hours[:, None]))[0])
        _check_finish(network, links, finish)
        end = network.calendars.end_hours - 24.0 * _MARGIN_DAYS
        if finish <= end:
            return network
        last_day = (project.data_date + timedelta(hours=2 * finish)).date()
        logger.debug("calendar tables extended to %s to cover the project finish", last_day)


def _assemble(
    project: Project,
    ordered: Sequence[Activity],
    positions: dict[str, int],
    links: LinkTable,
    levels: tuple[IntArray, ...],
    span: tuple[date, date],
) -> Network:
    calendars, calendar_index, reference = _calendar_setup(project, ordered, span)
    progress, remaining, actual_start, actual_finish = progress_arrays(
        project, ordered, calendars, calendar_index
    )
    if calendars is None:
        constraints = unconstrained(len(ordered))
    else:
        constraints = build_constraints(
            ordered,
            lambda chosen, moments: offsets(
                project,
                spread(len(ordered), chosen, moments),
                calendars,
                calendar_index,
            )[list(chosen)],
        )
    finish_milestone = np.array(
        [activity.type is ActivityType.FINISH_MILESTONE for activity in ordered], dtype=np.bool_
    )
    timing = Timing(
        calendars=calendars,
        calendar_index=calendar_index,
        reference=reference,
        start_at_period_end=finish_milestone,
        finish_at_period_start=(remaining == 0.0) & ~finish_milestone,
    )
    plan = plan_passes(
        progress, links, levels, (actual_start, actual_finish), constraints, timing,
        completed_finish(project, ordered, calendars, actual_finish),
    )  # fmt: skip
    working_time = None
    reference_calendar = select_calendar(project)
    if reference_calendar is not None:
        working_time = WorkingTime(reference_calendar, span[0], span[1])
    return Network(
        activity_ids=tuple(activity.id for activity in ordered),
        activity_codes=tuple(activity.code or activity.id for activity in ordered),
        activity_names=tuple(activity.name for activity in ordered),
        positions=positions,
        remaining_hours=remaining,
        progress=progress,
        actual_start_hours=actual_start,
        actual_finish_hours=actual_finish,
        link_predecessors=links.predecessors,
        link_successors=links.successors,
        link_types=links.types,
        link_lags=links.lags,
        levels=levels,
        plan=plan,
        data_date=project.data_date,
        working_time=working_time,
        calendars=calendars,
        calendar_index=calendar_index,
        constraints=constraints,
        actual_starts=tuple(_actual(a, a.actual_start) for a in ordered),
        actual_finishes=tuple(
            a.actual_finish if a.status is ActivityStatus.COMPLETED else None for a in ordered
        ),
    )


def _actual(activity: Activity, moment: datetime | None) -> datetime | None:
    return None if activity.status is ActivityStatus.NOT_STARTED else moment


def _date_span(project: Project, ordered: Sequence[Activity]) -> tuple[date, date]:
    """Return the days the calendar tables must cover before the schedule is computed."""
    earliest, latest = SUPPORTED_DAYS
    data_day = project.data_date.date()
    if not earliest <= data_day <= latest:
        raise NetworkError(
            f"the data date {data_day.isoformat()} is outside the years {earliest.year} to "
            f"{latest.year} that working-time calendars cover; correct the data date"
        )
    dates = [project.data_date, project.data_date + timedelta(days=_INITIAL_HORIZON_DAYS)]
    for activity in ordered:
        dates.extend(_named_dates(activity))
    distant = sorted(
        {
            activity.code or activity.id
            for activity in ordered
            for moment in _named_dates(activity)
            if abs(moment - project.data_date) > _MAX_SPAN
        }
    )
    if distant:
        raise NetworkError(
            f"dates more than {MAX_SPAN_YEARS} years from the data date "
            f"{project.data_date:%Y-%m-%d} on {', '.join(distant[:5])}"
            f"{' and others' if len(distant) > 5 else ''}; correct the actual, constraint "
            "or planned dates",
            tuple(distant),
        )
    margin = timedelta(days=_MARGIN_DAYS)
    return (min(dates) - margin).date(), (max(dates) + margin).date()


def _named_dates(activity: Activity) -> list[datetime]:
    named = (
        activity.actual_start,
        activity.actual_finish,
        activity.constraint_date,
        activity.early_finish,
        activity.late_finish,
    )
    return [moment for moment in named if moment is not None]


def _check_finish(network: Network, links: Sequence[Link], finish_hours: float) -> None:
    """Raise NetworkError when the remaining work ends beyond the schedule span limit.

    The error names the activities with the longest remaining durations and the
    successors of the longest lags, where an entry error usually sits.
    """
    if finish_hours <= _MAX_SPAN.total_seconds() / 3600.0:
        return
    codes = network.activity_codes
    longest = np.argsort(-network.remaining_hours, kind="stable")[:3]
    suspects = [codes[i] for i in longest.tolist()]
    lagged = sorted(links, key=lambda link: -abs(link[3]))[:2]
    suspects += [codes[network.positions[succ]] for _, succ, _, lag in lagged if lag]
    named = tuple(dict.fromkeys(suspects))
    years = finish_hours / 8766.0
    years_text = f"{years:,.0f}" if years < 1e6 else f"{years:.2g}"
    # Beyond the calendar tables a working hour counts as one elapsed hour, so the finish
    # computed there is only a lower bound.
    calendars = network.calendars
    if calendars is not None and finish_hours > calendars.end_hours:
        years_text = f"at least {years_text}"
    raise NetworkError(
        f"the remaining work ends {years_text} years after the data date, "
        f"beyond the {MAX_SPAN_YEARS}-year limit; check the durations and lags of "
        f"{', '.join(named)}",
        named,
    )


def _calendar_setup(
    project: Project, ordered: Sequence[Activity], span: tuple[date, date]
) -> tuple[CalendarSet | None, IntArray, int]:
    """Tabulate the reference calendar and every calendar a network activity uses."""
    reference = select_calendar(project)
    if reference is None:
        return None, np.zeros(len(ordered), dtype=np.int64), 0
    known = project.calendars_by_id()
    used = [reference] + [
        known[activity.calendar_id]
        for activity in ordered
        if activity.calendar_id in known and activity.calendar_id != reference.id
    ]
    unique = list({calendar.id: calendar for calendar in used}.values())
    calendars = build_calendar_set(unique, project.data_date, *span)
    fallback = calendars.index_of[reference.id]
    index = np.array(
        [calendars.index_of.get(activity.calendar_id or "", fallback) for activity in ordered],
        dtype=np.int64,
    )
    return calendars, index, fallback
