"""Forward and backward CPM passes over topological levels, vectorised over iterations.

The kernels work activity-major: a times array has two rows per activity (row ``2 i`` its
start, row ``2 i + 1`` its finish) and one column per iteration. Every value is in working
hours of the activity's own calendar, counted from the data date, so durations add directly.
A link between activities on different calendars converts its value through a lookup table
(calendars.py). Lags count in working hours of the predecessor's calendar, P6's default.

For each level, one gather reads every link value, conversions and lags apply to the whole
block, and one maximum (or minimum) per link rank takes the bound of each activity. Every
activity in a level depends only on earlier levels.

Progress follows P6's retained logic. The remaining work of an in-progress activity starts
no earlier than the data date and than its predecessors allow, like work not yet started.
Its start row contains that remaining start, and start-to-start lags from it count from
there (P6's "early start" option). A start-to-start link between two started activities is
satisfied and skipped. Completed activities keep their actual dates.

NOTE: P6 lets an unfinished predecessor hold back the successors of a completed activity
(out-of-sequence progress); here a completed activity's actual finish is all its successors
see, which on the sp10 schedule moves 8 of 3,468 open activities earlier than P6 has them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from risk_analysis.calendars import CalendarSet, GridMap
from risk_analysis.date_constraints import DateConstraints

FloatArray = npt.NDArray[np.floating]
Float64Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Link type codes, in the order of network.LINK_CODES.
FS, SS, FF, SF = 0, 1, 2, 3


class Progress(IntEnum):
    """Progress state of a network activity, as stored in ``Network.progress``."""

    NOT_STARTED = 0
    IN_PROGRESS = 1
    COMPLETED = 2


@dataclass(frozen=True, slots=True, eq=False)
class Conversion:
    """Links of a step whose value moves to another calendar through ``grid``.

    Links that read the same time row (with the same lag going forward) share one
    conversion: row ``unique_rows[i]`` plus ``unique_lags[i]`` is converted once and
    written to every position ``p`` with ``inverse[p] == i``.
    """

    grid: GridMap
    finish: bool
    positions: IntArray
    unique_rows: IntArray
    unique_lags: Float64Array
    inverse: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class PassStep:
    """One level of one pass.

    Targets are sorted by their number of links, most first, and the first ``linked`` have
    links. Links sit in ``sources`` (time rows read) rank by rank: rank ``r`` starts at
    ``segments[r]`` and contains the r-th link of each of the leading targets that have one.
    ``bounds`` is each target's constant bound (an early-start floor going forward, a
    late-finish cap going backward). ``limit_values`` bound a target's other end (a finish
    floor forward, a start cap backward). ``fixed_positions`` take a mandatory date, which
    is the end the pass does not write where ``fixed_finish`` is set (a mandatory finish
    going forward, a mandatory start going backward). ``read_starts`` are the targets whose
    start row a start-to-start or start-to-finish link reads.
    """

    targets: IntArray
    linked: int
    link_ids: IntArray
    sources: IntArray
    lags: Float64Array
    lag_positions: IntArray
    conversions: tuple[Conversion, ...]
    adjust_positions: IntArray
    adjust_activities: IntArray
    segments: IntArray
    bounds: Float64Array
    limit_positions: IntArray
    limit_values: Float64Array
    fixed_positions: IntArray
    fixed_values: Float64Array
    fixed_finish: BoolArray
    read_starts: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class PassPlan:
    """Everything the kernels need besides durations, built once per network.

    ``scheduled`` marks activities that are not completed; ``forward_active`` and
    ``backward_active`` mark the links each pass applies, in network link order.
    ``fixed_rows`` and ``fixed_values`` hold the actual dates of completed activities.
    ``finish_groups`` pairs a calendar with the finish rows of open activities that can end
    the project, and ``completed_finish`` is the latest actual finish in elapsed hours
    (-inf when nothing is complete).
    """

    size: int
    forward: tuple[PassStep, ...]
    backward: tuple[PassStep, ...]
    fixed_rows: IntArray
    fixed_values: Float64Array
    completed_finish: float
    scheduled: BoolArray
    forward_active: BoolArray
    backward_active: BoolArray
    calendars: CalendarSet | None
    calendar_index: IntArray
    reference: int
    timing: Timing
    finish_groups: tuple[tuple[int, IntArray], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Timing:
    """Where each activity's times live and which instant a boundary value names.

    A value on the boundary between two working periods names the end of the earlier one
    for finishes and the start of the later one for starts. P6 makes two exceptions: a
    finish milestone's start is at the end of a period (``start_at_period_end``), and the
    finish of a start milestone or of other work without duration is at the start of the
    next one (``finish_at_period_start``).
    """

    calendars: CalendarSet | None
    calendar_index: IntArray
    reference: int
    start_at_period_end: BoolArray
    finish_at_period_start: BoolArray


@dataclass(frozen=True, slots=True)
class LinkTable:
    """The network's links, sorted by successor, with types and lags."""

    predecessors: IntArray
    successors: IntArray
    types: npt.NDArray[np.int8]
    lags: Float64Array


def plan_passes(
    progress: npt.NDArray[np.int8],
    links: LinkTable,
    levels: tuple[IntArray, ...],
    actuals: tuple[Float64Array, Float64Array],
    constraints: DateConstraints,
    timing: Timing,
    completed_finish: float,
) -> PassPlan:
    """Build the per-level steps of both passes; links must be sorted by successor.

    ``actuals`` are the actual starts and finishes in working hours, ``completed_finish``
    the latest actual finish in elapsed hours from the data date.
    """
    # A link is applied going forward unless its successor is complete or it is a satisfied
    # start-to-start link, and going backward unless either end is complete. P6 also keeps
    # a satisfied start-to-start link going backward.
    scheduled = progress != Progress.COMPLETED
    started = progress != Progress.NOT_STARTED
    satisfied = (links.types == SS) & started[links.predecessors] & started[links.successors]
    forward_active = scheduled[links.successors] & ~satisfied
    backward_active = scheduled[links.successors] & scheduled[links.predecessors]
    builder = _StepBuilder(links, timing, constraints, progress)
    forward = [
        builder.forward(level[scheduled[level]], forward_active)
        for level in levels
        if scheduled[level].any()
    ]
    backward = [
        builder.backward(level[scheduled[level]], backward_active)
        for level in reversed(levels)
        if scheduled[level].any()
    ]
    completed = np.flatnonzero(~scheduled)
    return PassPlan(
        size=int(progress.size),
        forward=tuple(forward),
        backward=tuple(backward),
        fixed_rows=np.concatenate((2 * completed, 2 * completed + 1)).astype(np.int64),
        fixed_values=np.concatenate((actuals[0][completed], actuals[1][completed])),
        completed_finish=completed_finish,
        scheduled=scheduled,
        forward_active=forward_active,
        backward_active=backward_active,
        calendars=timing.calendars,
        calendar_index=timing.calendar_index,
        reference=timing.reference,
        timing=timing,
        finish_groups=_finish_groups(
            links, forward_active, scheduled, timing.calendar_index, constraints
        ),
    )


class _StepBuilder:
    """Builds pass steps, sharing one lookup table per pair of calendars."""

    def __init__(
        self,
        links: LinkTable,
        timing: Timing,
        constraints: DateConstraints,
        progress: npt.NDArray[np.int8],
    ) -> None:
        self.links = links
        self.timing = timing
        self.calendars = timing.calendars
        self.calendar_index = timing.calendar_index
        self.constraints = constraints
        self.progress = progress
        self.maps: dict[tuple[int, int], GridMap] = {}
        self.by_predecessor = np.lexsort((links.successors, links.predecessors))
        self.sorted_predecessors = links.predecessors[self.by_predecessor]
        self.finish_side = np.isin(links.types, (FF, SF))
        self.reads_start = np.isin(links.types, (SS, SF))
        self.start_read = np.zeros(timing.calendar_index.size, dtype=np.bool_)
        self.start_read[links.predecessors[self.reads_start]] = True

    def forward(self, targets: IntArray, active: BoolArray) -> PassStep:
        links = self.links
        lo, hi = np.searchsorted(links.successors, (targets.min(), targets.max() + 1))
        chosen = np.arange(lo, hi)[active[lo:hi]]
        preds, succs = links.predecessors[chosen], links.successors[chosen]
        # Start-reading links (SS, SF) take row 2 p, the others row 2 p + 1. A value moved
        # by a positive lag is an instant reached after work, so it names a period's end.
        reads_start = self.reads_start[chosen]
        sources = 2 * preds + (~reads_start).astype(np.int64)
        timing = self.timing
        finish_like = (
            (links.lags[chosen] > 0)
            | (reads_start & timing.start_at_period_end[preds])
            | (~reads_start & ~timing.finish_at_period_start[preds])
        )
        constraints = self.constraints
        bounds = np.maximum(constraints.start_floor[targets], 0.0)
        bounds[self.progress[targets] == Progress.IN_PROGRESS] = 0.0
        return self._step(
            targets, succs, chosen, sources, links.lags[chosen],
            (self.calendar_index[preds], self.calendar_index[succs], finish_like),
            self.finish_side[chosen], bounds, constraints.finish_floor,
            constraints.mandatory_start, constraints.mandatory_finish, True,
        )  # fmt: skip

    def backward(self, targets: IntArray, active: BoolArray) -> PassStep:
        links = self.links
        lo, hi = np.searchsorted(self.sorted_predecessors, (targets.min(), targets.max() + 1))
        span = self.by_predecessor[lo:hi]
        chosen = span[active[span]]
        preds, succs = links.predecessors[chosen], links.successors[chosen]
        finish_side = self.finish_side[chosen]
        sources = 2 * succs + finish_side.astype(np.int64)
        timing = self.timing
        finish_like = (finish_side & ~timing.finish_at_period_start[succs]) | (
            ~finish_side & timing.start_at_period_end[succs]
        )
        constraints = self.constraints
        return self._step(
            targets, preds, chosen, sources, -links.lags[chosen],
            (self.calendar_index[succs], self.calendar_index[preds], finish_like),
            self.reads_start[chosen], constraints.finish_cap[targets].copy(),
            constraints.start_cap, constraints.mandatory_finish, constraints.mandatory_start,
            False,
        )  # fmt: skip

    def _step(
        self,
        targets: IntArray,
        owners: IntArray,
        link_ids: IntArray,
        sources: IntArray,
        lags: Float64Array,
        calendars: tuple[IntArray, IntArray, BoolArray],
        adjusted: BoolArray,
        bounds: Float64Array,
        limits: Float64Array,
        fixed_same_end: Float64Array,
        fixed_other_end: Float64Array,
        lag_first: bool,
    ) -> PassStep:
        """Order targets by link count, most first, and their links rank by rank.

        Rank ``r`` contains the r-th link (in the order given) of every target that has one.
        Those targets form a prefix, so each rank reduces into a leading slice of targets.
        """
        counts = np.bincount(np.searchsorted(targets, owners), minlength=targets.size)
        order = np.lexsort((targets, -counts))
        targets, counts, bounds = targets[order], counts[order], bounds[order]
        slot = np.empty(targets.size, dtype=np.int64)
        slot[order] = np.arange(targets.size)
        owner_slot = slot[np.searchsorted(np.sort(targets), owners)]
        by_owner = np.argsort(owner_slot, kind="stable")
        first = np.cumsum(counts) - counts
        rank = np.empty(owners.size, dtype=np.int64)
        rank[by_owner] = np.arange(owners.size) - first[owner_slot[by_owner]]
        by_slot = np.lexsort((owner_slot, rank))
        per_rank = np.bincount(rank, minlength=int(counts.max(initial=0)))
        linked = int(np.count_nonzero(counts))
        segments = np.cumsum(per_rank) - per_rank
        adjust = np.flatnonzero(adjusted[by_slot])
        limited = np.flatnonzero(np.isfinite(limits[targets]))
        same = np.isfinite(fixed_same_end[targets])
        other = np.isfinite(fixed_other_end[targets])
        fixed = np.flatnonzero(same | other)
        fixed_values = np.where(same, fixed_same_end[targets], fixed_other_end[targets])[fixed]
        return PassStep(
            targets=targets,
            linked=linked,
            link_ids=link_ids[by_slot],
            sources=sources[by_slot].astype(np.int64),
            lags=lags[by_slot].astype(np.float64),
            lag_positions=np.flatnonzero(lags[by_slot] != 0.0).astype(np.int64),
            conversions=self._conversions(
                calendars[0][by_slot],
                calendars[1][by_slot],
                calendars[2][by_slot],
                sources[by_slot],
                lags[by_slot] if lag_first else np.zeros(owners.size),
            ),
            adjust_positions=adjust.astype(np.int64),
            adjust_activities=owners[by_slot][adjust].astype(np.int64),
            segments=segments.astype(np.int64),
            bounds=bounds.astype(np.float64),
            limit_positions=limited.astype(np.int64),
            limit_values=limits[targets][limited].astype(np.float64),
            fixed_positions=fixed.astype(np.int64),
            fixed_values=fixed_values.astype(np.float64),
            fixed_finish=other[fixed],
            read_starts=np.flatnonzero(self.start_read[targets]).astype(np.int64),
        )

    def _conversions(
        self,
        source: IntArray,
        target: IntArray,
        finish: BoolArray,
        rows: IntArray,
        lags: Float64Array,
    ) -> tuple[Conversion, ...]:
        if self.calendars is None:
            return ()
        groups: dict[tuple[int, int, bool], list[int]] = defaultdict(list)
        for position in np.flatnonzero(source != target):
            key = (int(source[position]), int(target[position]), bool(finish[position]))
            groups[key].append(int(position))
        conversions = []
        for (a, b, flag), members in sorted(groups.items()):
            positions = np.array(members, dtype=np.int64)
            keys = np.stack((rows[positions].astype(np.float64), lags[positions]), axis=1)
            unique, inverse = np.unique(keys, axis=0, return_inverse=True)
            conversions.append(
                Conversion(
                    grid=self._map(a, b),
                    finish=flag,
                    positions=positions,
                    unique_rows=unique[:, 0].astype(np.int64),
                    unique_lags=unique[:, 1].copy(),
                    inverse=inverse.reshape(-1).astype(np.int64),
                )
            )
        return tuple(conversions)

    def _map(self, source: int, target: int) -> GridMap:
        assert self.calendars is not None
        key = (source, target)
        if key not in self.maps:
            self.maps[key] = self.calendars.link_map(source, target)
        return self.maps[key]


def _finish_groups(
    links: LinkTable,
    active: BoolArray,
    scheduled: BoolArray,
    calendar_index: IntArray,
    constraints: DateConstraints,
) -> tuple[tuple[int, IntArray], ...]:
    """Return, per calendar, the finish rows of open activities that can finish last.

    An activity followed on the same calendar by an open successor through a finish-to-start
    or finish-to-finish link with a lag of zero or more finishes no later than that
    successor, unless a mandatory date lets the successor ignore the link.
    """
    successors = links.successors
    free = np.isnan(constraints.mandatory_start) & np.isnan(constraints.mandatory_finish)
    covered = (
        active
        & scheduled[successors]
        & np.isin(links.types, (FS, FF))
        & (links.lags >= 0)
        & (calendar_index[links.predecessors] == calendar_index[successors])
        & free[successors]
    )
    candidate = scheduled.copy()
    candidate[links.predecessors[covered]] = False
    groups = []
    for calendar in np.unique(calendar_index[candidate]):
        members = np.flatnonzero(candidate & (calendar_index == calendar))
        groups.append((int(calendar), (2 * members + 1).astype(np.int64)))
    return tuple(groups)


def _link_values(
    step: PassStep,
    times: FloatArray,
    adjustments: FloatArray,
    forward: bool,
) -> FloatArray:
    """Return the bound each link of a step puts on its target, in the target's calendar."""
    dtype = times.dtype
    values = np.take(times, step.sources, axis=0)
    # Most links have no lag, so only the rows of those that do are touched.
    lagged = step.lag_positions
    lags = step.lags[lagged].astype(dtype)[:, None]
    if forward and lagged.size:
        values[lagged] += lags
    for conversion in step.conversions:
        base = np.take(times, conversion.unique_rows, axis=0)
        if forward:
            base += conversion.unique_lags.astype(dtype)[:, None]
        converted = conversion.grid(base, finish=conversion.finish)
        values[conversion.positions] = np.take(converted, conversion.inverse, axis=0)
    if not forward and lagged.size:
        values[lagged] += lags
    if step.adjust_positions.size:
        adjustment = adjustments[step.adjust_activities]
        if forward:
            values[step.adjust_positions] -= adjustment
        else:
            values[step.adjust_positions] += adjustment
    return values


def _reduce(step: PassStep, values: FloatArray, result: FloatArray, forward: bool) -> None:
    """Reduce link values into the targets' bounds, one contiguous slice per rank."""
    reduce = np.maximum if forward else np.minimum
    stops = np.append(step.segments[1:], values.shape[0])
    for start, stop in zip(step.segments.tolist(), stops.tolist(), strict=True):
        count = stop - start
        reduce(result[:count], values[start:stop], out=result[:count])


def early_times(
    plan: PassPlan,
    durations: FloatArray,
    finish_link_durations: FloatArray | None = None,
    *,
    all_starts: bool = True,
) -> FloatArray:
    """Return early starts and finishes (2 n x k) for durations shaped (n activities x k).

    A finish-side bound (FF and SF links, finish dates) bounds the start by the finish bound
    minus the duration. ``finish_link_durations`` replaces the duration in that step only,
    which turns the pass into interval arithmetic: maximum durations with minimum ones there
    give an upper bound on every early time, and the reverse a lower bound. Without
    ``all_starts`` only the start rows that a start-to-start or start-to-finish link reads
    are written; the other start rows are left uninitialised.
    """
    adjustments = durations if finish_link_durations is None else finish_link_durations
    dtype = durations.dtype
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=dtype)
    times[plan.fixed_rows] = plan.fixed_values.astype(dtype)[:, None]
    for step in plan.forward:
        start = np.empty((step.targets.size, durations.shape[1]), dtype=dtype)
        start[:] = step.bounds.astype(dtype)[:, None]
        if step.sources.size:
            _reduce(step, _link_values(step, times, adjustments, True), start, True)
        if step.limit_positions.size:
            chosen = step.limit_positions
            floor = step.limit_values.astype(dtype)[:, None] - adjustments[step.targets[chosen]]
            np.maximum(start[chosen], floor, out=floor)
            start[chosen] = floor
        if step.fixed_positions.size:
            chosen = step.fixed_positions
            fixed = np.broadcast_to(step.fixed_values.astype(dtype)[:, None], start[chosen].shape)
            moved = fixed - adjustments[step.targets[chosen]] * step.fixed_finish[:, None]
            start[chosen] = moved
        if all_starts:
            times[2 * step.targets] = start
        elif step.read_starts.size:
            times[2 * step.targets[step.read_starts]] = start[step.read_starts]
        start += durations[step.targets]
        times[2 * step.targets + 1] = start
    return times


def late_times(plan: PassPlan, durations: FloatArray, finish: FloatArray) -> FloatArray:
    """Return late starts and finishes (2 n x k) given each iteration's project finish.

    ``finish`` is in elapsed hours from the data date, as ``project_finish`` returns it.
    """
    dtype = durations.dtype
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=dtype)
    times[plan.fixed_rows] = plan.fixed_values.astype(dtype)[:, None]
    own_finish = calendar_hours(plan, finish)
    for step in plan.backward:
        late = np.take(own_finish, plan.calendar_index[step.targets], axis=0)
        capped = np.flatnonzero(np.isfinite(step.bounds))
        if capped.size:
            late[capped] = np.minimum(late[capped], step.bounds[capped].astype(dtype)[:, None])
        if step.sources.size:
            _reduce(step, _link_values(step, times, durations, False), late, False)
        if step.limit_positions.size:
            chosen = step.limit_positions
            cap = step.limit_values.astype(dtype)[:, None] + durations[step.targets[chosen]]
            np.minimum(late[chosen], cap, out=cap)
            late[chosen] = cap
        if step.fixed_positions.size:
            chosen = step.fixed_positions
            fixed = np.broadcast_to(step.fixed_values.astype(dtype)[:, None], late[chosen].shape)
            late[chosen] = fixed + durations[step.targets[chosen]] * step.fixed_finish[:, None]
        times[2 * step.targets + 1] = late
        late -= durations[step.targets]
        times[2 * step.targets] = late
    return times


def delay_within_free_float(
    plan: PassPlan,
    times: FloatArray,
    durations: FloatArray,
    chosen: BoolArray,
    own_finish: FloatArray,
) -> None:
    """Move the early times of ``chosen`` activities later by their free float, in place.

    Levels are taken last first, so a chosen activity is moved after its chosen successors.
    ``own_finish`` is the project finish in working hours of each calendar.
    """
    for step in plan.backward:
        movers = np.flatnonzero(chosen[step.targets])
        if movers.size == 0:
            continue
        limit = np.take(own_finish, plan.calendar_index[step.targets], axis=0)
        if step.sources.size:
            _reduce(step, _link_values(step, times, durations, False), limit, False)
        rows = 2 * step.targets[movers]
        slack = np.maximum(limit[movers] - times[rows + 1], 0.0)
        times[rows] += slack
        times[rows + 1] += slack


def link_values(plan: PassPlan, times: FloatArray, durations: FloatArray) -> FloatArray:
    """Return, per network link and iteration, the bound it puts on its successor's start.

    Values are in the successor's working hours, after a finish-side link has taken off the
    successor's duration; NaN for links the forward pass does not apply.
    """
    values = np.full((plan.forward_active.size, times.shape[1]), np.nan, dtype=times.dtype)
    for step in plan.forward:
        if step.sources.size:
            values[step.link_ids] = _link_values(step, times, durations, True)
    return values


def predecessor_limits(plan: PassPlan, times: FloatArray, durations: FloatArray) -> FloatArray:
    """Return, per network link, how late its predecessor could finish given ``times``.

    Values are in the predecessor's working hours; NaN for links the backward pass skips.
    """
    values = np.full((plan.forward_active.size, times.shape[1]), np.nan, dtype=times.dtype)
    for step in plan.backward:
        if step.sources.size:
            values[step.link_ids] = _link_values(step, times, durations, False)
    return values


def project_finish(plan: PassPlan, times: FloatArray) -> FloatArray:
    """Return the latest early finish of each iteration in elapsed hours from the data date.

    Completed activities count with their actual finish. Without activities the finish is
    the data date.
    """
    columns = times.shape[1]
    if plan.size == 0:
        return np.zeros(columns, dtype=times.dtype)
    latest = np.full(columns, plan.completed_finish, dtype=times.dtype)
    for calendar, rows in plan.finish_groups:
        finishes = np.take(times, rows, axis=0).max(axis=0)
        if plan.calendars is not None:
            finishes = plan.calendars.tables[calendar].to_clock(finishes, finish=True)
        np.maximum(latest, finishes, out=latest)
    return latest


def calendar_hours(plan: PassPlan, elapsed: FloatArray) -> FloatArray:
    """Return elapsed hours as working hours of every calendar (calendars x iterations)."""
    values = np.asarray(elapsed)
    if plan.calendars is None:
        return values[None, :]
    rows = [table.from_clock(values, finish=False) for table in plan.calendars.tables]
    return np.stack(rows)


def reference_hours(plan: PassPlan, elapsed: FloatArray) -> FloatArray:
    """Return elapsed hours as working hours of the network's reference calendar."""
    values = np.asarray(elapsed)
    if plan.calendars is None:
        return values
    return plan.calendars.tables[plan.reference].from_clock(values, finish=False)
