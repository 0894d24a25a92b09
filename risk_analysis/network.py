"""The schedule logic as arrays: activities in topological order with their links.

Offsets are working hours from the project's data date on one calendar. Level-of-effort and
WBS-summary activities span other work and carry no logic, so they stay out of the network
together with every relationship that touches them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from risk_analysis.errors import NetworkError
from risk_analysis.passes import PassPlan, Progress, plan_passes
from schedules.model import Activity, ActivityStatus, Calendar, Project, RelationshipType
from schedules.worktime import WorkingTime

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LINK_CODES: Mapping[RelationshipType, int] = {
    RelationshipType.FS: 0,
    RelationshipType.SS: 1,
    RelationshipType.FF: 2,
    RelationshipType.SF: 3,
}

# WorkingTime.instants_at maps an offset on a period boundary to the end of the earlier
# period. That is right for finishes, so only starts are moved past the boundary by this much.
_START_NUDGE_HOURS = 1e-9


_PROGRESS = {
    ActivityStatus.NOT_STARTED: Progress.NOT_STARTED,
    ActivityStatus.IN_PROGRESS: Progress.IN_PROGRESS,
    ActivityStatus.COMPLETED: Progress.COMPLETED,
}


@dataclass(frozen=True, slots=True, eq=False)
class Network:
    """Activities in topological order with their links, as arrays indexed by position.

    ``remaining_hours`` is the duration still to work (zero for completed activities).
    ``actual_start_hours`` and ``actual_finish_hours`` are offsets from the data date, NaN
    where an activity has not started or finished. Links are sorted by successor position.
    ``levels`` contains the positions of each topological level, and each level is a
    contiguous range.
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
        """Convert offsets in working hours from the data date to datetimes.

        Starts that fall on the end of a working period move to the start of the next one.
        Raise NetworkError when the network has no calendar.
        """
        if self.working_time is None:
            raise NetworkError(
                "the network has no calendar, so offsets cannot be turned into dates; "
                "give the project a default calendar"
            )
        base = float(self.working_time.cumulative_hours([self.data_date])[0])
        values = np.asarray(offsets, dtype=np.float64) + base
        if starts:
            values = values + _START_NUDGE_HOURS
        return self.working_time.instants_at(values)


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


def build_network(project: Project) -> Network:
    """Build the array form of the project's logic network.

    Raise NetworkError naming the activities when activity ids repeat, a relationship refers
    to an unknown activity, or the logic contains a cycle.
    """
    by_id = _activities_by_id(project.activities)
    members = [activity for activity in project.activities if not activity.type.is_summary]
    links = _network_links(project, by_id)
    levels = _topological_levels(members, links, by_id)
    ordered = [activity for level in levels for activity in level]
    positions = {activity.id: index for index, activity in enumerate(ordered)}

    link_rows = sorted(
        (positions[succ], positions[pred], LINK_CODES[kind], lag)
        for pred, succ, kind, lag in links
    )
    successors = np.array([row[0] for row in link_rows], dtype=np.int64)
    predecessors = np.array([row[1] for row in link_rows], dtype=np.int64)
    link_types = np.array([row[2] for row in link_rows], dtype=np.int8)
    lags = np.array([row[3] for row in link_rows], dtype=np.float64)

    working_time = _working_time(project, ordered)
    progress, remaining, actual_start, actual_finish = _progress_arrays(
        project, ordered, working_time
    )
    bounds = np.cumsum([0] + [len(level) for level in levels])
    level_positions = tuple(
        np.arange(bounds[i], bounds[i + 1], dtype=np.int64) for i in range(len(levels))
    )
    plan = plan_passes(
        progress, predecessors, successors, link_types, lags, level_positions,
        actual_start, actual_finish,
    )  # fmt: skip
    return Network(
        activity_ids=tuple(activity.id for activity in ordered),
        activity_codes=tuple(activity.code or activity.id for activity in ordered),
        activity_names=tuple(activity.name for activity in ordered),
        positions=positions,
        remaining_hours=remaining,
        progress=progress,
        actual_start_hours=actual_start,
        actual_finish_hours=actual_finish,
        link_predecessors=predecessors,
        link_successors=successors,
        link_types=link_types,
        link_lags=lags,
        levels=level_positions,
        plan=plan,
        data_date=project.data_date,
        working_time=working_time,
    )


def _activities_by_id(activities: Iterable[Activity]) -> dict[str, Activity]:
    by_id: dict[str, Activity] = {}
    for activity in activities:
        if activity.id in by_id:
            raise NetworkError(
                f"activity id {activity.id!r} is used by more than one activity; "
                "give each activity its own id",
                (activity.code or activity.id,),
            )
        by_id[activity.id] = activity
    return by_id


_Link = tuple[str, str, RelationshipType, float]


def _network_links(project: Project, by_id: Mapping[str, Activity]) -> list[_Link]:
    links: list[_Link] = []
    dropped = 0
    for relationship in project.relationships:
        for end, other in (
            (relationship.predecessor_id, relationship.successor_id),
            (relationship.successor_id, relationship.predecessor_id),
        ):
            if end not in by_id:
                raise NetworkError(
                    f"a relationship refers to activity {end!r}, which is not in the project "
                    f"(other end {_code(by_id, other)!r}); remove the relationship or add the "
                    "activity",
                    (end,),
                )
        if (
            by_id[relationship.predecessor_id].type.is_summary
            or by_id[relationship.successor_id].type.is_summary
        ):
            dropped += 1
            continue
        links.append(
            (
                relationship.predecessor_id,
                relationship.successor_id,
                relationship.type,
                relationship.lag_hours,
            )
        )
    if dropped:
        logger.debug("left %d relationships of summary activities out of the network", dropped)
    return links


def _code(by_id: Mapping[str, Activity], activity_id: str) -> str:
    activity = by_id.get(activity_id)
    return activity_id if activity is None else activity.code or activity.id


def _topological_levels(
    members: Sequence[Activity], links: Sequence[_Link], by_id: Mapping[str, Activity]
) -> list[list[Activity]]:
    """Group activities into levels with Kahn's algorithm, keeping source order in a level."""
    order = {activity.id: index for index, activity in enumerate(members)}
    indegree = dict.fromkeys(order, 0)
    successors: dict[str, list[str]] = {activity_id: [] for activity_id in order}
    for pred, succ, _, _ in links:
        successors[pred].append(succ)
        indegree[succ] += 1

    level = [activity_id for activity_id in order if indegree[activity_id] == 0]
    levels: list[list[Activity]] = []
    placed = 0
    while level:
        levels.append([by_id[activity_id] for activity_id in level])
        placed += len(level)
        following: list[str] = []
        for activity_id in level:
            for succ in successors[activity_id]:
                indegree[succ] -= 1
                if indegree[succ] == 0:
                    following.append(succ)
        level = sorted(following, key=order.__getitem__)
    if placed < len(members):
        cycle = _find_cycle(indegree, links)
        codes = tuple(_code(by_id, activity_id) for activity_id in cycle)
        raise NetworkError(
            "the schedule logic contains a cycle: "
            + " -> ".join((*codes, codes[0]))
            + "; remove or reverse one of these relationships",
            codes,
        )
    return levels


def _find_cycle(indegree: Mapping[str, int], links: Sequence[_Link]) -> list[str]:
    """Return one cycle among the activities Kahn's algorithm could not place."""
    # Every unplaced activity keeps an unplaced predecessor, so walking backwards must repeat.
    unplaced = {activity_id for activity_id, count in indegree.items() if count > 0}
    predecessor_of: dict[str, str] = {}
    for pred, succ, _, _ in links:
        if succ in unplaced and pred in unplaced:
            predecessor_of.setdefault(succ, pred)
    walk: list[str] = []
    seen: dict[str, int] = {}
    current = min(unplaced)
    while current not in seen:
        seen[current] = len(walk)
        walk.append(current)
        current = predecessor_of[current]
    return list(reversed(walk[seen[current] :]))


def _working_time(project: Project, ordered: Sequence[Activity]) -> WorkingTime | None:
    calendar = select_calendar(project)
    if calendar is None:
        return None
    dates = [project.data_date]
    for activity in ordered:
        dates.extend(d for d in (activity.actual_start, activity.actual_finish) if d is not None)
    return WorkingTime(calendar, min(dates).date(), max(dates).date() + timedelta(days=1))


def _progress_arrays(
    project: Project, ordered: Sequence[Activity], working_time: WorkingTime | None
) -> tuple[npt.NDArray[np.int8], FloatArray, FloatArray, FloatArray]:
    progress = np.array([_PROGRESS[activity.status] for activity in ordered], dtype=np.int8)
    remaining = np.array([_remaining_hours(activity) for activity in ordered], dtype=np.float64)
    remaining[progress == Progress.COMPLETED] = 0.0
    actual_start = _offsets(project, [a.actual_start for a in ordered], working_time)
    actual_finish = _offsets(project, [a.actual_finish for a in ordered], working_time)
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
    if hours < 0.0:
        logger.warning(
            "activity %s has a negative remaining duration (%.2f h); using zero",
            activity.code or activity.id,
            hours,
        )
        return 0.0
    return hours


def _offsets(
    project: Project, instants: Sequence[datetime | None], working_time: WorkingTime | None
) -> FloatArray:
    offsets = np.full(len(instants), np.nan, dtype=np.float64)
    known = [index for index, instant in enumerate(instants) if instant is not None]
    moments = [instant for instant in instants if instant is not None]
    if not moments:
        return offsets
    if working_time is None:
        raise NetworkError(
            f"project {project.name!r} has actual dates but no calendar to measure them in "
            "working hours; import the project with its calendars",
        )
    cumulative = working_time.cumulative_hours([project.data_date, *moments])
    offsets[known] = cumulative[1:] - cumulative[0]
    return offsets
