"""Critical path method on a network: early and late times, float and the driving path.

Times are working hours of each activity's own calendar from the data date, so total and
free float are in the activity's working hours, as P6 reports them. The project finish is
also given in elapsed hours and in working hours of the reference calendar. Completed
activities keep their actual dates. In-progress activities follow retained logic: the
remaining duration starts at the data date or when the predecessors allow, whichever is
later. Date constraints apply as date_constraints.py describes, "as late as possible"
included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from risk_analysis.errors import SimulationInputError
from risk_analysis.network import Network, build_network
from risk_analysis.passes import (
    Progress,
    calendar_hours,
    delay_within_free_float,
    early_times,
    late_times,
    link_values,
    predecessor_limits,
    project_finish,
    reference_hours,
)
from schedules.model import Project

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Float below which two float64 times count as equal, in hours (well under a second).
TOLERANCE_HOURS = 1e-6
# One working week of five 8-hour days.
DEFAULT_NEAR_CRITICAL_HOURS = 40.0


@dataclass(frozen=True, slots=True, eq=False)
class ForwardPass:
    """Early times for one set of durations, or for each row of a 2-D set.

    Arrays have the shape of the durations passed in: activities, or iterations x
    activities. ``project_finish`` (working hours of the reference calendar) and
    ``finish_elapsed_hours`` have one value per iteration, or are 0-dimensional.
    """

    early_start: npt.NDArray[np.floating]
    early_finish: npt.NDArray[np.floating]
    project_finish: npt.NDArray[np.floating]
    finish_elapsed_hours: npt.NDArray[np.floating]


def activity_major(network: Network, durations: npt.ArrayLike | None) -> npt.NDArray[np.floating]:
    """Return durations as an (activities x iterations) array, the layout the kernels use.

    ``None`` means the network's remaining durations. A 2-D input is (iterations x
    activities); one stored column-major (the transpose of a sampler's output) is not copied.
    float32 input stays float32, anything else becomes float64.
    """
    if durations is None:
        return network.remaining_hours[:, None]
    values = np.asarray(durations)
    dtype = np.float32 if values.dtype == np.float32 else np.float64
    values = values.astype(dtype, copy=False)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] != network.size:
        raise SimulationInputError(
            f"durations must have {network.size} values per row, one per network activity",
            "durations",
            values.shape,
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise SimulationInputError(
            "durations must be finite and not negative", "durations", "NaN, inf or below 0"
        )
    return np.ascontiguousarray(values.T)


def forward_pass(network: Network, durations: npt.ArrayLike | None = None) -> ForwardPass:
    """Compute early times for the given durations (default: the remaining durations)."""
    matrix = activity_major(network, durations)
    times = early_times(network.plan, matrix)
    elapsed = project_finish(network.plan, times)
    finish = reference_hours(network.plan, elapsed)
    one_set = durations is None or np.ndim(durations) == 1
    if one_set:
        return ForwardPass(times[0::2, 0], times[1::2, 0], finish[0], elapsed[0])
    return ForwardPass(times[0::2].T, times[1::2].T, finish, elapsed)


@dataclass(frozen=True, slots=True)
class ActivitySchedule:
    """One activity's CPM result; floats are None for completed activities.

    Hours are working hours of the activity's calendar from the data date. Started
    activities show their actual start as early start, completed ones their actual finish.
    """

    activity_id: str
    code: str
    name: str
    early_start_hours: float
    early_finish_hours: float
    late_start_hours: float
    late_finish_hours: float
    total_float_hours: float | None
    free_float_hours: float | None
    critical: bool
    near_critical: bool
    early_start: datetime | None
    early_finish: datetime | None
    late_start: datetime | None
    late_finish: datetime | None


@dataclass(frozen=True, slots=True, eq=False)
class CpmResult:
    """Early and late times, floats and flags per network position.

    ``remaining_start`` is when the remaining work may start: the early start of an activity
    not started, the resumption of one in progress. Total and free float are NaN for
    completed activities, which are never critical. ``critical`` means total float within the
    critical threshold; ``near_critical`` means above it but within the near-critical
    threshold. ``project_finish_hours`` is in working hours of the reference calendar.
    """

    network: Network
    durations: FloatArray
    early_start: FloatArray
    early_finish: FloatArray
    late_start: FloatArray
    late_finish: FloatArray
    total_float: FloatArray
    free_float: FloatArray
    critical: BoolArray
    near_critical: BoolArray
    project_finish_hours: float
    remaining_start: FloatArray
    project_finish_elapsed_hours: float

    @property
    def project_finish(self) -> datetime | None:
        """The project finish date, or None when the network has no calendar."""
        if self.network.calendars is None:
            return None
        return self.network.elapsed_instants([self.project_finish_elapsed_hours])[0]

    def link_slack(self) -> FloatArray:
        """Return, per network link, how far the successor's remaining start is past the bound
        the link puts on it, in the successor's working hours (NaN for links not applied)."""
        times = self._early_times()
        bounds = link_values(self.network.plan, times, self.durations[:, None])[:, 0]
        return np.asarray(self.remaining_start[self.network.link_successors] - bounds)

    def driving_path(self, weights: npt.ArrayLike | None = None) -> tuple[str, ...]:
        """Return the activity ids of the longest path, first to last.

        The path ends at an activity that finishes with the project and follows, backwards,
        links with no slack between scheduled activities. Where paths branch, it takes the
        one with the largest sum of ``weights`` (per network position), then the one through
        the earlier network position.
        """
        network = self.network
        scheduled = network.plan.scheduled
        if not scheduled.any():
            return ()
        weight = np.zeros(network.size) if weights is None else np.asarray(weights, np.float64)
        preds, succs = network.link_predecessors, network.link_successors
        driving = network.plan.forward_active & (self.link_slack() <= TOLERANCE_HOURS)
        driving &= scheduled[preds]
        # Links are sorted by successor and predecessors come first in topological order,
        # so every link into an activity is seen before any link out of it.
        carried = np.zeros(network.size)
        for link in np.flatnonzero(driving):
            pred, succ = preds[link], succs[link]
            carried[succ] = max(carried[succ], weight[pred] + carried[pred])
        total = np.where(scheduled, weight + carried, -np.inf)
        ends = scheduled & (self._finish_elapsed() >= self.project_finish_elapsed_hours - 1e-6)
        current = int(np.argmax(np.where(ends, total, -np.inf)))
        path = [current]
        while True:
            lo, hi = np.searchsorted(succs, (current, current + 1))
            drivers = preds[lo:hi][driving[lo:hi]]
            if drivers.size == 0:
                break
            drivers = np.sort(drivers)
            current = int(drivers[np.argmax(total[drivers])])
            path.append(current)
        return tuple(network.activity_ids[index] for index in reversed(path))

    def schedules(self) -> tuple[ActivitySchedule, ...]:
        """Return one record per network activity, in topological order, with dates."""
        dates = self._dates()
        return tuple(self._record(index, dates) for index in range(self.network.size))

    def _dates(self) -> list[list[datetime | None]]:
        network = self.network
        if network.calendars is None:
            return [[None] * network.size for _ in range(4)]
        early_start = network.activity_instants(self.early_start, starts=True)
        early_finish = network.activity_instants(self.early_finish, starts=False)
        late_start = network.activity_instants(self.late_start, starts=True)
        late_finish = network.activity_instants(self.late_finish, starts=False)
        dates: list[list[datetime | None]] = [
            list(early_start),
            list(early_finish),
            list(late_start),
            list(late_finish),
        ]
        for index, (start, finish) in enumerate(
            zip(network.actual_starts, network.actual_finishes, strict=True)
        ):
            if start is not None:
                dates[0][index] = start
            if finish is not None:
                dates[1][index] = dates[3][index] = finish
                dates[2][index] = start or dates[2][index]
        return dates

    def _early_times(self) -> FloatArray:
        times = np.empty((2 * self.network.size, 1))
        times[0::2, 0] = self.remaining_start
        times[1::2, 0] = self.early_finish
        return times

    def _finish_elapsed(self) -> FloatArray:
        """Return each activity's early finish in elapsed hours from the data date."""
        network = self.network
        if network.calendars is None:
            return self.early_finish
        periods_end = ~network.plan.timing.finish_at_period_start
        return network.calendars.clock_hours(
            network.calendar_index, self.early_finish, periods_end
        )

    def _own_finish(self) -> FloatArray:
        """Return the project finish in working hours of each activity's calendar."""
        plan = self.network.plan
        finish = np.array([self.project_finish_elapsed_hours])
        return np.asarray(calendar_hours(plan, finish)[plan.calendar_index, 0])

    def _record(self, index: int, dates: list[list[datetime | None]]) -> ActivitySchedule:
        total = float(self.total_float[index])
        free = float(self.free_float[index])
        return ActivitySchedule(
            activity_id=self.network.activity_ids[index],
            code=self.network.activity_codes[index],
            name=self.network.activity_names[index],
            early_start_hours=float(self.early_start[index]),
            early_finish_hours=float(self.early_finish[index]),
            late_start_hours=float(self.late_start[index]),
            late_finish_hours=float(self.late_finish[index]),
            total_float_hours=None if np.isnan(total) else total,
            free_float_hours=None if np.isnan(free) else free,
            critical=bool(self.critical[index]),
            near_critical=bool(self.near_critical[index]),
            early_start=dates[0][index],
            early_finish=dates[1][index],
            late_start=dates[2][index],
            late_finish=dates[3][index],
        )


def compute_cpm(
    network: Network,
    durations: npt.ArrayLike | None = None,
    *,
    critical_threshold_hours: float = 0.0,
    near_critical_threshold_hours: float = DEFAULT_NEAR_CRITICAL_HOURS,
) -> CpmResult:
    """Run the forward and backward pass in float64 on one set of durations."""
    if near_critical_threshold_hours < critical_threshold_hours:
        raise SimulationInputError(
            "the near-critical threshold must not be below the critical threshold "
            f"({critical_threshold_hours} h)",
            "near_critical_threshold_hours",
            near_critical_threshold_hours,
        )
    values = network.remaining_hours if durations is None else np.asarray(durations, np.float64)
    matrix = activity_major(network, values)
    plan = network.plan
    early = early_times(plan, matrix)
    elapsed = project_finish(plan, early)
    late = late_times(plan, matrix, elapsed)
    as_late_as_possible = network.constraints.as_late_as_possible
    if as_late_as_possible.any():
        own_finish = calendar_hours(plan, elapsed)
        delay_within_free_float(plan, early, matrix, as_late_as_possible, own_finish)

    scheduled = plan.scheduled
    total = np.where(scheduled, late[1::2, 0] - early[1::2, 0], np.nan)
    critical = scheduled & (total <= critical_threshold_hours + TOLERANCE_HOURS)
    near = scheduled & ~critical & (total <= near_critical_threshold_hours + TOLERANCE_HOURS)
    started = network.progress != Progress.NOT_STARTED
    completed = ~scheduled
    result = CpmResult(
        network=network,
        durations=_float64(matrix[:, 0]),
        early_start=np.where(started, network.actual_start_hours, early[0::2, 0]),
        early_finish=np.where(completed, network.actual_finish_hours, early[1::2, 0]),
        late_start=np.where(completed, network.actual_start_hours, late[0::2, 0]),
        late_finish=np.where(completed, network.actual_finish_hours, late[1::2, 0]),
        total_float=total,
        free_float=np.full(network.size, np.nan),
        critical=critical,
        near_critical=near,
        project_finish_hours=float(reference_hours(plan, elapsed)[0]),
        remaining_start=_float64(early[0::2, 0]),
        project_finish_elapsed_hours=float(elapsed[0]),
    )
    result.free_float[:] = _free_float(result, np.asarray(early, dtype=np.float64))
    return result


def schedule_project(
    project: Project,
    *,
    critical_threshold_hours: float = 0.0,
    near_critical_threshold_hours: float = DEFAULT_NEAR_CRITICAL_HOURS,
) -> CpmResult:
    """Build the project's network and run CPM on its remaining durations."""
    return compute_cpm(
        build_network(project),
        critical_threshold_hours=critical_threshold_hours,
        near_critical_threshold_hours=near_critical_threshold_hours,
    )


def _float64(values: npt.NDArray[np.floating]) -> FloatArray:
    return np.array(values, dtype=np.float64)


def _free_float(result: CpmResult, early: FloatArray) -> FloatArray:
    """Return how far each activity can slip before it delays a successor or the finish.

    Values are in the activity's working hours: the latest finish each link allows, read
    back onto the predecessor's calendar, less its early finish.
    """
    network = result.network
    plan = network.plan
    free = np.where(plan.scheduled, result._own_finish() - result.early_finish, np.nan)
    limits = predecessor_limits(plan, early, result.durations[:, None])[:, 0]
    active = plan.backward_active
    preds = network.link_predecessors[active]
    np.minimum.at(free, preds, limits[active] - result.early_finish[preds])
    return np.asarray(free, dtype=np.float64)
