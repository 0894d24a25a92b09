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

import numpy as np
import numpy.typing as npt

from risk_analysis.pass_plan import (
    FF,
    FS,
    SF,
    SS,
    Conversion,
    LinkTable,
    PassPlan,
    PassStep,
    Progress,
    Timing,
    plan_passes,
)

__all__ = [
    "FF",
    "FS",
    "SF",
    "SS",
    "Conversion",
    "LinkTable",
    "PassPlan",
    "PassStep",
    "Progress",
    "Timing",
    "calendar_hours",
    "delay_within_free_float",
    "early_times",
    "late_times",
    "link_values",
    "plan_passes",
    "predecessor_limits",
    "project_finish",
    "reference_hours",
]

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
