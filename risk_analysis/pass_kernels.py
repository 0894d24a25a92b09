"""Compiled CPM passes for Monte Carlo chunks, equal to the numpy passes bit for bit.

``schedule_iterations`` runs the forward pass, the project finish, the backward pass and the
critical count of passes.py on float32 durations, in one compiled loop. It takes the
iterations in blocks of ``BLOCK`` columns, so the early and late times of one block (two
rows per activity) stay in the core's cache while every level reads them. Each step repeats
the numpy kernels' arithmetic in the same order and in float32, so both give the same bits.
tests/risk_analysis/test_pass_kernels.py checks this on real schedules.

The plan is flattened into ``PassArrays`` (one per pass) and ``GridArrays`` (the calendar
maps), concatenated arrays with offsets, because compiled code takes arrays, not objects.
Flattening is cached per plan in each process. A simulation model carries its flattened
plan, so the workers that read the model do not flatten it again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from risk_analysis.calendars import _BOUNDARY_TICKS, GridMap
from risk_analysis.pass_plan import PassPlan, PassStep

Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# Iterations per block. On sp10 (4,000 activities) a block of 128 keeps 8 MiB of early and
# late times. With two workers side by side, each in its share of the shared cache, 128 ran
# fastest. One process alone ran about 5 % faster at 256.
BLOCK = 128
_CACHE_SIZE = 4


class GridArrays(NamedTuple):
    """Every calendar map of a plan, concatenated.

    Map ``g`` owns cells ``offsets[g]:offsets[g+1]``; cell ``c`` is ``table[2 c]`` (the value)
    and ``table[2 c + 1]`` (the slope, 0 or 1).
    """

    offsets: IntArray
    table: Float32Array
    origins: Float32Array
    inverse_steps: Float32Array
    steps: Float32Array


class PassArrays(NamedTuple):
    """The steps of one pass, concatenated.

    Step ``s`` owns targets ``target_offsets[s]:target_offsets[s+1]``, links
    ``link_offsets[s]:...`` (in the step's rank order), ranks ``rank_offsets[s]:...`` and
    conversions ``conversion_offsets[s]:...``. Rank starts count from the step's first
    link. A converted link reads row ``converted[p]`` of its step's converted values, which
    hold the step's unique rows in order; other links have -1 there. ``fixed_kind`` is 0
    for no mandatory date, 1 for one on the end the pass writes and 2 for one on the other
    end.
    """

    target_offsets: IntArray
    targets: IntArray
    bounds: Float32Array
    has_limit: npt.NDArray[np.bool_]
    limits: Float32Array
    fixed_kind: npt.NDArray[np.int8]
    fixed_values: Float32Array
    link_offsets: IntArray
    sources: IntArray
    lags: Float32Array
    adjusted: npt.NDArray[np.bool_]
    owners: IntArray
    rank_offsets: IntArray
    rank_starts: IntArray
    rank_counts: IntArray
    conversion_offsets: IntArray
    conversion_grids: IntArray
    conversion_finish: npt.NDArray[np.bool_]
    unique_offsets: IntArray
    unique_rows: IntArray
    unique_lags: Float32Array
    converted: IntArray


class PlanArrays(NamedTuple):
    """The plan's arrays besides its two passes.

    ``clock_grids[c]`` maps the clock to calendar ``c``'s working hours and
    ``group_grids[g]`` maps finish group ``g``'s calendar back to the clock; both are -1
    without calendars. Finish group ``g`` owns rows ``group_offsets[g]:group_offsets[g+1]``.
    """

    fixed_rows: IntArray
    fixed_values: Float32Array
    open_activities: IntArray
    calendar_index: IntArray
    clock_grids: IntArray
    group_grids: IntArray
    group_offsets: IntArray
    group_rows: IntArray
    completed_finish: np.float32
    max_uniques: int


class KernelPlan(NamedTuple):
    """A plan flattened for the compiled passes."""

    forward: PassArrays
    backward: PassArrays
    grids: GridArrays
    plan: PlanArrays


_cache: dict[int, tuple[PassPlan, KernelPlan]] = {}
_cache_lock = threading.Lock()


def kernel_plan(plan: PassPlan) -> KernelPlan:
    """Return ``plan`` flattened, built once per plan in this process."""
    with _cache_lock:
        cached = _cache.get(id(plan))
        if cached is not None and cached[0] is plan:
            return cached[1]
    flat = _flatten(plan)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[id(plan)] = (plan, flat)
    return flat


def schedule_iterations(
    plan: PassPlan,
    durations: Float32Array,
    critical_limit: float,
    flat: KernelPlan | None = None,
) -> tuple[Float32Array, IntArray]:
    """Return each iteration's project finish and how often each activity was critical.

    ``durations`` are float32, activities x iterations. The finish is in elapsed hours from
    the data date, as ``project_finish`` gives it. An activity counts as critical in an
    iteration when its total float is at most ``critical_limit``, compared in float32.
    Completed activities count zero: they have no float but are never critical. ``flat``
    is ``kernel_plan(plan)`` when the caller has it already.
    """
    if flat is None:
        flat = kernel_plan(plan)
    durations = np.ascontiguousarray(durations, dtype=np.float32)
    finish = np.empty(durations.shape[1], dtype=np.float32)
    counts = np.zeros(plan.size, dtype=np.int64)
    _schedule(
        flat.forward, flat.backward, flat.grids, flat.plan, durations,
        np.float32(critical_limit), finish, counts,
    )  # fmt: skip
    return finish, counts


# --- flattening -----------------------------------------------------------------------------


class _Grids:
    """Collects the distinct calendar maps of a plan and numbers them."""

    def __init__(self) -> None:
        self.maps: list[GridMap] = []
        self.index: dict[int, int] = {}

    def number(self, grid: GridMap) -> int:
        key = id(grid)
        if key not in self.index:
            self.index[key] = len(self.maps)
            self.maps.append(grid)
        return self.index[key]

    def arrays(self) -> GridArrays:
        sizes = [grid.values32.size for grid in self.maps]
        return GridArrays(
            offsets=_offsets(sizes),
            table=_joined([_interleaved(grid) for grid in self.maps], np.float32),
            origins=np.array([grid.origin for grid in self.maps], dtype=np.float32),
            inverse_steps=np.array([1.0 / grid.step for grid in self.maps], dtype=np.float32),
            steps=np.array([grid.step for grid in self.maps], dtype=np.float32),
        )


def _flatten(plan: PassPlan) -> KernelPlan:
    grids = _Grids()
    forward = _pass_arrays(plan.forward, grids)
    backward = _pass_arrays(plan.backward, grids)
    calendars = plan.calendars
    clock_grids = np.full(max(1, len(calendars.tables) if calendars else 1), -1, np.int64)
    group_grids = np.full(len(plan.finish_groups), -1, dtype=np.int64)
    if calendars is not None:
        for number, table in enumerate(calendars.tables):
            clock_grids[number] = grids.number(table.from_clock)
        for number, (calendar, _) in enumerate(plan.finish_groups):
            group_grids[number] = grids.number(calendars.tables[calendar].to_clock)
    steps = plan.forward + plan.backward
    arrays = PlanArrays(
        fixed_rows=plan.fixed_rows.astype(np.int64),
        fixed_values=plan.fixed_values.astype(np.float32),
        open_activities=np.flatnonzero(plan.scheduled).astype(np.int64),
        calendar_index=plan.calendar_index.astype(np.int64),
        clock_grids=clock_grids,
        group_grids=group_grids,
        group_offsets=_offsets([rows.size for _, rows in plan.finish_groups]),
        group_rows=_joined([rows for _, rows in plan.finish_groups], np.int64),
        completed_finish=np.float32(plan.completed_finish),
        max_uniques=max(
            (sum(c.unique_rows.size for c in step.conversions) for step in steps), default=0
        ),
    )
    return KernelPlan(forward, backward, grids.arrays(), arrays)


def _pass_arrays(steps: Sequence[PassStep], grids: _Grids) -> PassArrays:
    conversions = [c for step in steps for c in step.conversions]
    ranks = [np.append(step.segments[1:], step.sources.size) - step.segments for step in steps]
    return PassArrays(
        target_offsets=_offsets([step.targets.size for step in steps]),
        targets=_joined([step.targets for step in steps], np.int64),
        bounds=_joined([step.bounds for step in steps], np.float32),
        has_limit=_joined(
            [_marked(step.targets.size, step.limit_positions) for step in steps], np.bool_
        ),
        limits=_joined([_placed(step, step.limit_positions, step.limit_values) for step in steps]),
        fixed_kind=_joined([_fixed_kinds(step) for step in steps], np.int8),
        fixed_values=_joined(
            [_placed(step, step.fixed_positions, step.fixed_values) for step in steps]
        ),
        link_offsets=_offsets([step.sources.size for step in steps]),
        sources=_joined([step.sources for step in steps], np.int64),
        lags=_joined([step.lags for step in steps], np.float32),
        adjusted=_joined(
            [_marked(step.sources.size, step.adjust_positions) for step in steps], np.bool_
        ),
        owners=_joined([_owners(step) for step in steps], np.int64),
        rank_offsets=_offsets([count.size for count in ranks]),
        rank_starts=_joined([step.segments for step in steps], np.int64),
        rank_counts=_joined(ranks, np.int64),
        conversion_offsets=_offsets([len(step.conversions) for step in steps]),
        conversion_grids=np.array([grids.number(c.grid) for c in conversions], dtype=np.int64),
        conversion_finish=np.array([c.finish for c in conversions], dtype=np.bool_),
        unique_offsets=_offsets([c.unique_rows.size for c in conversions]),
        unique_rows=_joined([c.unique_rows for c in conversions], np.int64),
        unique_lags=_joined([c.unique_lags for c in conversions], np.float32),
        converted=_joined([_converted(step) for step in steps], np.int64),
    )


def _interleaved(grid: GridMap) -> Float32Array:
    """Return the map's values and slopes as pairs, so that one lookup reads one cache line."""
    pairs = np.empty((grid.values32.size, 2), dtype=np.float32)
    pairs[:, 0] = grid.values32
    pairs[:, 1] = grid.slopes
    return pairs.reshape(-1)


def _offsets(sizes: Sequence[int]) -> IntArray:
    return np.concatenate(([0], np.cumsum(np.asarray(sizes, dtype=np.int64)))).astype(np.int64)


def _joined(
    parts: Sequence[npt.NDArray[np.generic]], dtype: type = np.float32
) -> npt.NDArray[Any]:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype)


def _marked(size: int, positions: IntArray) -> npt.NDArray[np.bool_]:
    marks = np.zeros(size, dtype=np.bool_)
    marks[positions] = True
    return marks


def _placed(step: PassStep, positions: IntArray, values: npt.NDArray[np.float64]) -> Float32Array:
    placed = np.zeros(step.targets.size, dtype=np.float32)
    placed[positions] = values.astype(np.float32)
    return placed


def _fixed_kinds(step: PassStep) -> npt.NDArray[np.int8]:
    kinds = np.zeros(step.targets.size, dtype=np.int8)
    kinds[step.fixed_positions] = np.where(step.fixed_finish, 2, 1)
    return kinds


def _converted(step: PassStep) -> IntArray:
    """Return, per link of ``step``, its row among the step's converted values, or -1."""
    slots = np.full(step.sources.size, -1, dtype=np.int64)
    base = 0
    for conversion in step.conversions:
        slots[conversion.positions] = base + conversion.inverse
        base += conversion.unique_rows.size
    return slots


def _owners(step: PassStep) -> IntArray:
    owners = np.zeros(step.sources.size, dtype=np.int64)
    owners[step.adjust_positions] = step.adjust_activities
    return owners


# --- compiled kernels -----------------------------------------------------------------------
# Every literal is a float32, so no value is widened to float64 on the way.

_TICK = np.float32(_BOUNDARY_TICKS)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


@numba.njit(cache=True, nogil=True, inline="always")
def _cell(grids: GridArrays, g: int, x: np.float32, finish: bool) -> tuple[int, np.float32]:
    """Return the table position of ``x`` on map ``g`` and the hours into that cell.

    The cell index is a floor (or a ceiling less one), clipped to the table. Clipping the
    argument to one cell beyond either end first lets a truncating conversion stand in for
    the rounding function, which keeps the loop vectorisable and changes no clipped result.
    """
    first = grids.offsets[g]
    last = np.float32(grids.offsets[g + 1] - first - 1)
    cells = (x - grids.origins[g]) * grids.inverse_steps[g]
    if finish:
        shifted = min(max(cells - _TICK, -_ONE), last + _ONE)
        whole = np.float32(np.int32(shifted))
        index = whole - (_ZERO if whole < shifted else _ONE)
    else:
        index = np.float32(np.int32(min(max(cells + _TICK, -_ONE), last + _ONE)))
    index = min(max(index, _ZERO), last)
    return first + np.int64(index), (cells - index) * grids.steps[g]


@numba.njit(cache=True, nogil=True, inline="always")
def _grid(grids: GridArrays, g: int, x: np.float32, finish: bool) -> np.float32:
    """Evaluate calendar map ``g`` at ``x`` as GridMap.__call__ does in float32."""
    position, into = _cell(grids, g, x, finish)
    return np.float32(into * grids.table[2 * position + 1] + grids.table[2 * position])


@numba.njit(cache=True, nogil=True)
def _grid_row(
    grids: GridArrays,
    g: int,
    source: Float32Array,
    lag: np.float32,
    finish: bool,
    target: Float32Array,
    width: int,
    positions: IntArray,
) -> None:
    """Write map ``g`` of ``source + lag`` to ``target``, as _grid does value by value.

    The arithmetic runs first and the table reads after, in separate loops, because the
    compiler vectorises the first only when the reads are out of it.
    """
    for j in range(width):
        positions[j], target[j] = _cell(grids, g, source[j] + lag, finish)
    for j in range(width):
        position = positions[j]
        target[j] = target[j] * grids.table[2 * position + 1] + grids.table[2 * position]


@numba.njit(cache=True, nogil=True, inline="always")
def _raise_to(bound: Float32Array, values: Float32Array, width: int) -> None:
    for j in range(width):
        if values[j] > bound[j]:
            bound[j] = values[j]


@numba.njit(cache=True, nogil=True)
def _convert(
    steps: PassArrays,
    grids: GridArrays,
    s: int,
    times: Float32Array,
    width: int,
    converted: Float32Array,
    forward: bool,
) -> None:
    """Convert each unique row that step ``s``'s links read across calendars, once."""
    positions = np.empty(width, dtype=np.int64)
    base = steps.unique_offsets[steps.conversion_offsets[s]]
    for c in range(steps.conversion_offsets[s], steps.conversion_offsets[s + 1]):
        grid, finish = steps.conversion_grids[c], steps.conversion_finish[c]
        for u in range(steps.unique_offsets[c], steps.unique_offsets[c + 1]):
            # Going backward the lag applies after the conversion; adding zero changes no value.
            lag = steps.unique_lags[u] if forward else _ZERO
            source, target = times[steps.unique_rows[u]], converted[u - base]
            _grid_row(grids, grid, source, lag, finish, target, width, positions)


@numba.njit(cache=True, nogil=True, inline="always")
def _bound_link(
    bound: Float32Array,
    row: Float32Array,
    lag: np.float32,
    duration: Float32Array,
    width: int,
    forward: bool,
) -> None:
    """Tighten ``bound`` by one link: the value read, plus the lag, less or plus a duration.

    ``lag`` is only added where it is not zero and ``duration`` only read where it has
    entries, as the numpy kernels do, so every value has the same bits.
    """
    add_lag, adjust = lag != _ZERO, duration.size > 0
    for j in range(width):
        value = row[j]
        if add_lag:
            value = value + lag
        if forward:
            if adjust:
                value = value - duration[j]
            if value > bound[j]:
                bound[j] = value
        else:
            if adjust:
                value = value + duration[j]
            if value < bound[j]:
                bound[j] = value


@numba.njit(cache=True, nogil=True)
def _bound_targets(
    steps: PassArrays,
    s: int,
    times: Float32Array,
    converted: Float32Array,
    durations: Float32Array,
    column: int,
    width: int,
    forward: bool,
) -> None:
    """Take every link of step ``s`` into its target's bound, rank by rank.

    The bound is the target's own time row: its start going forward, its finish going
    backward. A link reads its converted row or its source row, always of an earlier
    level. A forward lag is already in the converted value (it applies before the
    conversion); a backward one applies after.
    """
    first, targets = steps.link_offsets[s], steps.target_offsets[s]
    side = 0 if forward else 1
    no_duration = durations[0, :0]
    for r in range(steps.rank_offsets[s], steps.rank_offsets[s + 1]):
        start = first + steps.rank_starts[r]
        for i in range(steps.rank_counts[r]):
            p = start + i
            slot = steps.converted[p]
            row = converted[slot] if slot >= 0 else times[steps.sources[p]]
            lag = _ZERO if forward and slot >= 0 else steps.lags[p]
            duration = no_duration
            if steps.adjusted[p]:
                duration = durations[steps.owners[p], column : column + width]
            bound = times[2 * steps.targets[targets + i] + side]
            _bound_link(bound, row, lag, duration, width, forward)


@numba.njit(cache=True, nogil=True)
def _forward(
    steps: PassArrays,
    grids: GridArrays,
    times: Float32Array,
    durations: Float32Array,
    column: int,
    width: int,
    converted: Float32Array,
) -> None:
    """Write the early start and finish rows of every open activity, level by level."""
    for s in range(steps.target_offsets.size - 1):
        first = steps.target_offsets[s]
        count = steps.target_offsets[s + 1] - first
        for i in range(count):
            bound, floor = times[2 * steps.targets[first + i]], steps.bounds[first + i]
            for j in range(width):
                bound[j] = floor
        _convert(steps, grids, s, times, width, converted, True)
        _bound_targets(steps, s, times, converted, durations, column, width, True)
        for i in range(count):
            target = steps.targets[first + i]
            bound, early_finish = times[2 * target], times[2 * target + 1]
            duration = durations[target, column : column + width]
            if steps.has_limit[first + i]:
                limit = steps.limits[first + i]
                for j in range(width):
                    bound[j] = max(bound[j], limit - duration[j])
            kind = steps.fixed_kind[first + i]
            if kind != 0:
                fixed, flag = steps.fixed_values[first + i], _ONE if kind == 2 else _ZERO
                for j in range(width):
                    bound[j] = fixed - duration[j] * flag
            for j in range(width):
                early_finish[j] = bound[j] + duration[j]


@numba.njit(cache=True, nogil=True)
def _backward(
    steps: PassArrays,
    grids: GridArrays,
    times: Float32Array,
    durations: Float32Array,
    own_finish: Float32Array,
    calendar_index: IntArray,
    column: int,
    width: int,
    converted: Float32Array,
) -> None:
    """Write the late start and finish rows of every open activity, last level first.

    It mirrors ``_forward`` rather than sharing its loops: a shared helper for the date
    limits measured about 1.5 times slower on sp10.
    """
    for s in range(steps.target_offsets.size - 1):
        first = steps.target_offsets[s]
        count = steps.target_offsets[s + 1] - first
        for i in range(count):
            target = steps.targets[first + i]
            bound, finish = times[2 * target + 1], own_finish[calendar_index[target]]
            for j in range(width):
                bound[j] = finish[j]
            cap = steps.bounds[first + i]
            if np.isfinite(cap):
                for j in range(width):
                    bound[j] = min(bound[j], cap)
        _convert(steps, grids, s, times, width, converted, False)
        _bound_targets(steps, s, times, converted, durations, column, width, False)
        for i in range(count):
            target = steps.targets[first + i]
            late_start, bound = times[2 * target], times[2 * target + 1]
            duration = durations[target, column : column + width]
            if steps.has_limit[first + i]:
                limit = steps.limits[first + i]
                for j in range(width):
                    bound[j] = min(bound[j], limit + duration[j])
            kind = steps.fixed_kind[first + i]
            if kind != 0:
                fixed, flag = steps.fixed_values[first + i], _ONE if kind == 2 else _ZERO
                for j in range(width):
                    bound[j] = fixed + duration[j] * flag
            for j in range(width):
                late_start[j] = bound[j] - duration[j]


@numba.njit(cache=True, nogil=True)
def _project_finish(
    plan: PlanArrays,
    grids: GridArrays,
    times: Float32Array,
    width: int,
    finish: Float32Array,
    latest: Float32Array,
) -> None:
    """Write each iteration's latest early finish, in elapsed hours, to ``finish``."""
    for j in range(width):
        finish[j] = plan.completed_finish
    for g in range(plan.group_grids.size):
        for j in range(width):
            latest[j] = -np.inf
        for r in range(plan.group_offsets[g], plan.group_offsets[g + 1]):
            _raise_to(latest, times[plan.group_rows[r]], width)
        for j in range(width):
            value = latest[j]
            if plan.group_grids[g] >= 0:
                value = _grid(grids, plan.group_grids[g], value, True)
            finish[j] = max(finish[j], value)


@numba.njit(cache=True, nogil=True)
def _schedule(
    forward: PassArrays,
    backward: PassArrays,
    grids: GridArrays,
    plan: PlanArrays,
    durations: Float32Array,
    critical_limit: np.float32,
    finish: Float32Array,
    counts: IntArray,
) -> None:
    activities, iterations = durations.shape
    early = np.empty((2 * activities, BLOCK), dtype=np.float32)
    late = np.empty((2 * activities, BLOCK), dtype=np.float32)
    # Completed activities keep their actual dates, which no pass writes over.
    for r in range(plan.fixed_rows.size):
        for j in range(BLOCK):
            early[plan.fixed_rows[r], j] = plan.fixed_values[r]
            late[plan.fixed_rows[r], j] = plan.fixed_values[r]
    converted = np.empty((max(plan.max_uniques, 1), BLOCK), dtype=np.float32)
    calendars = plan.clock_grids.size
    own_finish = np.empty((calendars, BLOCK), dtype=np.float32)
    block_finish = np.empty(BLOCK, dtype=np.float32)
    latest = np.empty(BLOCK, dtype=np.float32)
    for column in range(0, iterations, BLOCK):
        width = min(BLOCK, iterations - column)
        _forward(forward, grids, early, durations, column, width, converted)
        _project_finish(plan, grids, early, width, block_finish, latest)
        for c in range(calendars):
            for j in range(width):
                value = block_finish[j]
                if plan.clock_grids[c] >= 0:
                    value = _grid(grids, plan.clock_grids[c], value, False)
                own_finish[c, j] = value
        _backward(
            backward, grids, late, durations, own_finish, plan.calendar_index, column, width,
            converted,
        )  # fmt: skip
        for j in range(width):
            finish[column + j] = block_finish[j]
        for a in plan.open_activities:
            late_finish, early_finish = late[2 * a + 1], early[2 * a + 1]
            critical = 0
            for j in range(width):
                if late_finish[j] - early_finish[j] <= critical_limit:
                    critical += 1
            counts[a] += critical
