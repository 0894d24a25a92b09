"""What the CPM passes need besides durations, built once per network.

Each level of the forward and the backward pass becomes a step. A step lists its targets
sorted by link count and its links grouped rank by rank. It also carries the calendar
conversions its links need and the constant bounds that the data date and date constraints
put on its targets. A start-to-start
link between two started activities is satisfied and skipped going forward, but P6 keeps it
going backward; completed activities keep their actual dates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from risk_analysis.calendars import CalendarSet, GridMap
from risk_analysis.date_constraints import DateConstraints

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
    """The calendar of each activity and the instant a value on a period boundary names.

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
