"""Forward and backward CPM passes over topological levels, vectorised over iterations.

The kernels work activity-major: a times array has two rows per activity (row ``2 i`` its
start, row ``2 i + 1`` its finish) and one column per iteration, so gathering the
predecessors of a level copies whole contiguous rows. Every activity in a level depends only
on earlier levels, so a level costs a few numpy calls per link of its most linked activity,
whatever its width.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
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
class LinkRank:
    """The r-th link of each of the first ``sources.size`` targets of a step.

    ``sources`` are the time rows the links read, ``lags`` their signed lags, and
    ``adjust_positions`` the entries (with ``adjust_activities``) whose value moves by a
    duration.
    """

    sources: IntArray
    lags: npt.NDArray[np.float64]
    adjust_positions: IntArray
    adjust_activities: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class PassStep:
    """One level of one pass.

    Targets are sorted by their number of links, most first, so the targets that have an
    r-th link form a prefix and each rank is one in-place maximum (or minimum) on a slice.
    """

    targets: IntArray
    ranks: tuple[LinkRank, ...]
    writes_start: BoolArray
    writes_all_starts: bool


@dataclass(frozen=True, slots=True, eq=False)
class PassPlan:
    """Everything the kernels need besides durations, built once per network.

    ``scheduled`` marks activities that are not completed; ``forward_active`` and
    ``backward_active`` mark the links each pass applies, in network link order.
    """

    size: int
    forward: tuple[PassStep, ...]
    backward: tuple[PassStep, ...]
    fixed_early_rows: IntArray
    fixed_early_values: npt.NDArray[np.float64]
    fixed_late_rows: IntArray
    fixed_late_values: npt.NDArray[np.float64]
    scheduled: BoolArray
    forward_active: BoolArray
    backward_active: BoolArray


def plan_passes(
    progress: npt.NDArray[np.int8],
    predecessors: IntArray,
    successors: IntArray,
    link_types: npt.NDArray[np.int8],
    lags: npt.NDArray[np.float64],
    levels: tuple[IntArray, ...],
    actual_start: npt.NDArray[np.float64],
    actual_finish: npt.NDArray[np.float64],
) -> PassPlan:
    """Build the per-level steps of both passes; links must be sorted by successor."""
    # A link constrains its successor's start (FS, SS) or finish (FF, SF); it is skipped when
    # that end is already fixed by progress. Going backward it is also skipped when the
    # predecessor end it reads (start for SS, SF; finish for FS, FF) is already fixed.
    finish_side = np.isin(link_types, (FF, SF))
    reads_start = np.isin(link_types, (SS, SF))
    succ_state = progress[successors]
    pred_state = progress[predecessors]
    forward_active = (succ_state == Progress.NOT_STARTED) | (
        (succ_state == Progress.IN_PROGRESS) & finish_side
    )
    backward_active = forward_active & (
        (pred_state == Progress.NOT_STARTED)
        | ((pred_state == Progress.IN_PROGRESS) & ~reads_start)
    )
    scheduled = progress != Progress.COMPLETED
    forward = []
    for level in levels:
        lo, hi = np.searchsorted(successors, (level[0], level[-1] + 1))
        chosen = np.arange(lo, hi)[forward_active[lo:hi]]
        targets = level[scheduled[level]]
        if targets.size:
            # Start-reading links (SS, SF) take row 2 p, the others row 2 p + 1.
            sources = 2 * predecessors[chosen] + (~reads_start[chosen]).astype(np.int64)
            forward.append(
                _step(targets, successors[chosen], sources, lags[chosen], finish_side[chosen],
                      progress)
            )  # fmt: skip

    by_pred = np.lexsort((successors, predecessors))
    sorted_preds = predecessors[by_pred]
    backward = []
    for level in reversed(levels):
        lo, hi = np.searchsorted(sorted_preds, (level[0], level[-1] + 1))
        chosen = by_pred[lo:hi][backward_active[by_pred[lo:hi]]]
        targets = level[scheduled[level]]
        if targets.size:
            sources = 2 * successors[chosen] + finish_side[chosen].astype(np.int64)
            backward.append(
                _step(targets, predecessors[chosen], sources, -lags[chosen], reads_start[chosen],
                      progress)
            )  # fmt: skip

    early_rows, early_values = _fixed_early(progress, actual_start, actual_finish)
    completed = np.flatnonzero(progress == Progress.COMPLETED)
    late_rows = np.concatenate((2 * completed, 2 * completed + 1))
    late_values = np.concatenate((actual_start[completed], actual_finish[completed]))
    return PassPlan(
        size=int(progress.size),
        forward=tuple(forward),
        backward=tuple(backward),
        fixed_early_rows=early_rows,
        fixed_early_values=early_values,
        fixed_late_rows=late_rows,
        fixed_late_values=late_values,
        scheduled=scheduled,
        forward_active=forward_active,
        backward_active=backward_active,
    )


def _step(
    targets: IntArray,
    owners: IntArray,
    sources: IntArray,
    lags: npt.NDArray[np.float64],
    adjusted: BoolArray,
    progress: npt.NDArray[np.int8],
) -> PassStep:
    """Order a level's targets by link count and group its links by rank.

    ``owners`` is the target each link belongs to; ``adjusted`` marks the links whose value
    moves by the owner's duration.
    """
    counts = np.bincount(np.searchsorted(targets, owners), minlength=targets.size)
    order = np.lexsort((targets, -counts))
    targets, counts = targets[order], counts[order]
    slot = np.empty(targets.size, dtype=np.int64)
    slot[order] = np.arange(targets.size)
    # A link's rank is its place among its owner's links, in the order they were passed.
    owner_slot = slot[np.searchsorted(np.sort(targets), owners)]
    by_slot = np.lexsort((np.arange(owners.size), owner_slot))
    first = np.cumsum(counts) - counts
    rank_of = np.empty(owners.size, dtype=np.int64)
    rank_of[by_slot] = np.arange(owners.size) - first[owner_slot[by_slot]]

    ranks = []
    for rank in range(int(counts.max()) if counts.size else 0):
        chosen = np.flatnonzero(rank_of == rank)
        chosen = chosen[np.argsort(owner_slot[chosen])]
        adjust = np.flatnonzero(adjusted[chosen])
        ranks.append(
            LinkRank(
                sources=sources[chosen].astype(np.int64),
                lags=lags[chosen],
                adjust_positions=adjust.astype(np.int64),
                adjust_activities=owners[chosen][adjust].astype(np.int64),
            )
        )
    writes_start = progress[targets] == Progress.NOT_STARTED
    return PassStep(targets, tuple(ranks), writes_start, bool(writes_start.all()))


def _fixed_early(
    progress: npt.NDArray[np.int8],
    actual_start: npt.NDArray[np.float64],
    actual_finish: npt.NDArray[np.float64],
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    started = np.flatnonzero(progress != Progress.NOT_STARTED)
    completed = np.flatnonzero(progress == Progress.COMPLETED)
    rows = np.concatenate((2 * started, 2 * completed + 1))
    values = np.concatenate((actual_start[started], actual_finish[completed]))
    return rows.astype(np.int64), values


def _bound(
    step: PassStep,
    times: FloatArray,
    adjustments: FloatArray,
    bound: FloatArray,
    reduce: np.ufunc,
) -> FloatArray:
    """Reduce, per target, its bound and the values its links allow, one rank at a time."""
    result = np.empty((step.targets.size, times.shape[1]), dtype=times.dtype)
    result[:] = bound
    sign = 1 if reduce is np.minimum else -1
    for rank in step.ranks:
        count = rank.sources.size
        values = np.take(times, rank.sources, axis=0)
        values += rank.lags.astype(times.dtype)[:, None]
        if rank.adjust_positions.size:
            adjustment = adjustments[rank.adjust_activities]
            values[rank.adjust_positions] += adjustment if sign > 0 else -adjustment
        reduce(result[:count], values, out=result[:count])
    return result


def early_times(
    plan: PassPlan, durations: FloatArray, finish_link_durations: FloatArray | None = None
) -> FloatArray:
    """Return early starts and finishes (2 n x k) for durations shaped (n activities x k).

    A finish-side link (FF, SF) bounds the successor's start by the bound on its finish
    minus its duration. ``finish_link_durations`` replaces the duration in that step only,
    which turns the pass into interval arithmetic: maximum durations with minimum ones there
    give an upper bound on every early time, and the reverse a lower bound.
    """
    adjustments = durations if finish_link_durations is None else finish_link_durations
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=durations.dtype)
    times[plan.fixed_early_rows] = plan.fixed_early_values.astype(durations.dtype)[:, None]
    floor = np.zeros(durations.shape[1], dtype=durations.dtype)
    for step in plan.forward:
        start = _bound(step, times, adjustments, floor, np.maximum)
        if step.writes_all_starts:
            times[2 * step.targets] = start
        else:
            times[2 * step.targets[step.writes_start]] = start[step.writes_start]
        start += durations[step.targets]
        times[2 * step.targets + 1] = start
    return times


def late_times(plan: PassPlan, durations: FloatArray, finish: FloatArray) -> FloatArray:
    """Return late starts and finishes (2 n x k) given the project finish of each iteration."""
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=durations.dtype)
    times[plan.fixed_late_rows] = plan.fixed_late_values.astype(durations.dtype)[:, None]
    for step in plan.backward:
        # SS and SF read the predecessor's start, so its finish may be a duration later.
        late_finish = _bound(step, times, durations, finish, np.minimum)
        times[2 * step.targets + 1] = late_finish
        late_finish -= durations[step.targets]
        times[2 * step.targets] = late_finish
    return times


def project_finish(times: FloatArray) -> FloatArray:
    """Return the latest early finish of each iteration (the data date when nothing is left)."""
    if times.shape[0] == 0:
        return np.zeros(times.shape[1], dtype=times.dtype)
    return np.asarray(times[1::2].max(axis=0), dtype=times.dtype)
