"""Forward and backward CPM passes over topological levels, vectorised over iterations.

The kernels work activity-major: a times array has two rows per activity (row ``2 i`` its
start, row ``2 i + 1`` its finish) and one column per iteration, so gathering the
predecessors of a level copies whole contiguous rows. Every activity in a level depends only
on earlier levels, so one level costs a handful of numpy calls whatever its width.
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
class PassStep:
    """One level of one pass: which candidate rows to fill and how to reduce them.

    The candidate matrix holds one segment per target activity: a bound row (the data date
    going forward, the project finish going backward) followed by one row per link.
    """

    targets: IntArray
    segment_starts: IntArray
    rows: int
    link_rows: IntArray
    sources: IntArray
    lags: npt.NDArray[np.float64]
    adjust_rows: IntArray
    adjust_activities: IntArray
    writes_start: BoolArray


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
        targets = level[scheduled[level]]
        lo, hi = np.searchsorted(successors, (level[0], level[-1] + 1)) if level.size else (0, 0)
        chosen = np.arange(lo, hi)[forward_active[lo:hi]]
        if targets.size:
            forward.append(
                _step(
                    targets,
                    owners=successors[chosen],
                    sources=2 * predecessors[chosen] + (~reads_start[chosen]).astype(np.int64),
                    lags=lags[chosen],
                    adjusted=finish_side[chosen],
                    progress=progress,
                )
            )

    by_pred = np.lexsort((successors, predecessors))
    sorted_preds = predecessors[by_pred]
    backward = []
    for level in reversed(levels):
        targets = level[scheduled[level]]
        lo, hi = np.searchsorted(sorted_preds, (level[0], level[-1] + 1)) if level.size else (0, 0)
        chosen = by_pred[lo:hi][backward_active[by_pred[lo:hi]]]
        if targets.size:
            backward.append(
                _step(
                    targets,
                    owners=predecessors[chosen],
                    sources=2 * successors[chosen] + finish_side[chosen].astype(np.int64),
                    lags=-lags[chosen],
                    adjusted=reads_start[chosen],
                    progress=progress,
                )
            )

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
    *,
    owners: IntArray,
    sources: IntArray,
    lags: npt.NDArray[np.float64],
    adjusted: BoolArray,
    progress: npt.NDArray[np.int8],
) -> PassStep:
    owner_index = np.searchsorted(targets, owners)
    counts = np.bincount(owner_index, minlength=targets.size)
    segment_sizes = counts + 1
    segment_starts = np.concatenate(([0], np.cumsum(segment_sizes)[:-1])).astype(np.int64)
    first_link = np.cumsum(counts) - counts
    rank = np.arange(owners.size) - first_link[owner_index]
    link_rows = segment_starts[owner_index] + 1 + rank
    return PassStep(
        targets=targets,
        segment_starts=segment_starts,
        rows=int(segment_sizes.sum()),
        link_rows=link_rows.astype(np.int64),
        sources=sources.astype(np.int64),
        lags=lags,
        adjust_rows=link_rows[adjusted].astype(np.int64),
        adjust_activities=owners[adjusted],
        writes_start=progress[targets] == Progress.NOT_STARTED,
    )


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


def _candidates(
    step: PassStep, times: FloatArray, durations: FloatArray, bound: FloatArray, sign: int
) -> FloatArray:
    candidates = np.empty((step.rows, times.shape[1]), dtype=times.dtype)
    candidates[step.segment_starts] = bound
    if step.link_rows.size:
        lags = step.lags.astype(times.dtype)[:, None]
        candidates[step.link_rows] = times[step.sources] + lags
        if step.adjust_rows.size:
            adjustment = durations[step.adjust_activities]
            candidates[step.adjust_rows] += adjustment if sign > 0 else -adjustment
    return candidates


def early_times(plan: PassPlan, durations: FloatArray) -> FloatArray:
    """Return early starts and finishes (2 n x k) for durations shaped (n activities x k)."""
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=durations.dtype)
    times[plan.fixed_early_rows] = plan.fixed_early_values.astype(durations.dtype)[:, None]
    floor = np.zeros(durations.shape[1], dtype=durations.dtype)
    for step in plan.forward:
        # A finish-side link bounds the finish, so it bounds the start minus the duration.
        candidates = _candidates(step, times, durations, floor, sign=-1)
        start = np.maximum.reduceat(candidates, step.segment_starts, axis=0)
        times[2 * step.targets + 1] = start + durations[step.targets]
        times[2 * step.targets[step.writes_start]] = start[step.writes_start]
    return times


def late_times(plan: PassPlan, durations: FloatArray, finish: FloatArray) -> FloatArray:
    """Return late starts and finishes (2 n x k) given the project finish of each iteration."""
    times = np.empty((2 * plan.size, durations.shape[1]), dtype=durations.dtype)
    times[plan.fixed_late_rows] = plan.fixed_late_values.astype(durations.dtype)[:, None]
    for step in plan.backward:
        # SS and SF read the predecessor's start, so its finish may be a duration later.
        candidates = _candidates(step, times, durations, finish, sign=+1)
        late_finish = np.minimum.reduceat(candidates, step.segment_starts, axis=0)
        times[2 * step.targets + 1] = late_finish
        times[2 * step.targets] = late_finish - durations[step.targets]
    return times


def project_finish(times: FloatArray) -> FloatArray:
    """Return the latest early finish of each iteration (the data date when nothing is left)."""
    if times.shape[0] == 0:
        return np.zeros(times.shape[1], dtype=times.dtype)
    return np.asarray(times[1::2].max(axis=0), dtype=times.dtype)
