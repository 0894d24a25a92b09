"""Simulation chunks: sample a block of iterations and reduce it to an aggregate.

Iterations are cut into chunks of a fixed size, and chunk ``i`` draws from child ``i`` of
``SeedSequence(seed)``. A chunk's outcome therefore depends on the seed, its index and its
size only, never on which worker runs it or how many run.

A chunk returns counts on histogram edges fixed before sampling, criticality counts, its
own sums keyed by its seed and integer sensitivity sums. Counts and integers add exactly,
and merge adds the sums with math.fsum, so merging aggregates in any order or grouping
gives the same result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis.costs import duration_ratios, total_cost
from risk_analysis.errors import SimulationInputError
from risk_analysis.estimates import draw
from risk_analysis.pass_kernels import schedule_iterations
from risk_analysis.passes import (
    PassPlan,
    early_times,
    late_times,
    project_finish,
    reference_hours,
)
from risk_analysis.risks import RiskModel
from risk_analysis.sensitivity import (
    SensitivitySums,
    chunk_sums,
    empty_sums,
    ranked_iterations,
)
from risk_analysis.uncertainty import SimulationModel
from schedules.model import Distribution

IntArray = npt.NDArray[np.int64]
Float32Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# About 0.1 to 0.5 s of work on a schedule of 4,000 activities: long enough to be worth a Ray
# task, short enough to spread 10,000 iterations over several cores.
DEFAULT_CHUNK_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """One chunk of iterations and the seed of its random stream."""

    seed: np.random.SeedSequence
    size: int


@dataclass(frozen=True, slots=True)
class PartialSums:
    """Sums of one chunk, kept apart so that merging adds them with one exact fsum.

    The sums are of each value minus its deterministic counterpart (CPM finish in working
    hours of the reference calendar, cost at completion), so the sum of squares stays small
    enough to subtract without losing the variance.
    """

    key: tuple[int, ...]
    finish_sum: float
    finish_squares: float
    cost_sum: float
    cost_squares: float


@dataclass(frozen=True, slots=True, eq=False)
class ChunkAggregate:
    """The reduction of one or more chunks: counts, sums and extremes, never the samples.

    ``finish_counts`` bin the finish in working hours of the reference calendar and
    ``elapsed_counts`` in elapsed hours from the data date.
    """

    iterations: int
    finish_counts: IntArray
    elapsed_counts: IntArray
    cost_counts: IntArray
    critical_counts: IntArray
    partial_sums: tuple[PartialSums, ...]
    finish_range: tuple[float, float]
    elapsed_range: tuple[float, float]
    cost_range: tuple[float, float]
    sensitivity: SensitivitySums


@dataclass(frozen=True, slots=True, eq=False)
class _RiskDraws:
    occurs: BoolArray
    duration_impacts: Float32Array
    cost_impacts: FloatArray


def plan_chunks(
    seed: int, iterations: int, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[ChunkSpec, ...]:
    """Cut ``iterations`` into chunks of ``chunk_size`` (the last one smaller), one seed each."""
    if iterations < 1:
        raise SimulationInputError("run at least one iteration", "iterations", iterations)
    if chunk_size < 1:
        raise SimulationInputError("chunks need at least one iteration", "chunk_size", chunk_size)
    if seed < 0:
        raise SimulationInputError("the seed must be a non-negative integer", "seed", seed)
    count = math.ceil(iterations / chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(count)
    sizes = [chunk_size] * (count - 1) + [iterations - chunk_size * (count - 1)]
    return tuple(ChunkSpec(child, size) for child, size in zip(seeds, sizes, strict=True))


def run_chunk(
    model: SimulationModel, chunk_seed: np.random.SeedSequence, size: int
) -> ChunkAggregate:
    """Sample ``size`` iterations from ``chunk_seed``, run CPM on each and aggregate."""
    if size < 1:
        raise SimulationInputError("a chunk needs at least one iteration", "size", size)
    # SFC64 rather than the default PCG64: the triangular kernel steps it inline.
    rng = np.random.Generator(np.random.SFC64(chunk_seed))
    durations = _sample_durations(model, rng, size)
    index = chunk_seed.spawn_key[-1] if chunk_seed.spawn_key else 0
    ranked = ranked_iterations(model.sensitivity_iterations, index, size)
    sampled = durations[model.sensitivity.duration_positions, :ranked]
    risks = _sample_risks(model.risks, rng, size)
    _apply_duration_risks(model.risks, durations, risks)
    _clamp_at_zero(durations, _negative_rows(model))
    cost_values = _sample_cost_items(model, rng, size)
    ratios = duration_ratios(model.costs, model.network.remaining_hours, durations)
    _stretch(model, durations)
    elapsed, hours, critical_counts = _schedule(model, durations)

    planned = model.deterministic.project_finish_hours
    ratios[model.costs.follows_project] = hours / planned if planned > 0.0 else 1.0
    risk_costs = risks.cost_impacts * risks.occurs * model.risks.cost_multipliers[:, None]
    costs = total_cost(model.costs, cost_values, ratios) + risk_costs.sum(axis=0)
    sensitivity = empty_sums(model.sensitivity)
    if ranked:
        inputs = model.sensitivity
        finish_risks = risks.duration_impacts * risks.occurs
        sensitivity = chunk_sums(
            inputs,
            sampled,
            finish_risks[inputs.duration_risks, :ranked],
            (cost_values[inputs.cost_items, :ranked], risk_costs[inputs.cost_risks, :ranked]),
            (elapsed[:ranked], costs[:ranked]),
        )
    return _aggregate(model, chunk_seed, (hours, elapsed, costs), critical_counts, sensitivity)


def _aggregate(
    model: SimulationModel,
    chunk_seed: np.random.SeedSequence,
    outcomes: tuple[FloatArray, FloatArray, FloatArray],
    critical_counts: IntArray,
    sensitivity: SensitivitySums,
) -> ChunkAggregate:
    hours, elapsed, costs = outcomes
    finish_shift = hours - model.deterministic.project_finish_hours
    cost_shift = costs - model.deterministic_cost
    sums = PartialSums(
        key=tuple(chunk_seed.spawn_key),
        finish_sum=float(np.sum(finish_shift)),
        finish_squares=float(np.sum(finish_shift * finish_shift)),
        cost_sum=float(np.sum(cost_shift)),
        cost_squares=float(np.sum(cost_shift * cost_shift)),
    )
    return ChunkAggregate(
        iterations=int(hours.size),
        finish_counts=model.finish_edges.count(hours),
        elapsed_counts=model.elapsed_edges.count(elapsed),
        cost_counts=model.cost_edges.count(costs),
        critical_counts=critical_counts,
        partial_sums=(sums,),
        finish_range=(float(hours.min()), float(hours.max())),
        elapsed_range=(float(elapsed.min()), float(elapsed.max())),
        cost_range=(float(costs.min()), float(costs.max())),
        sensitivity=sensitivity,
    )


def combine(aggregates: Sequence[ChunkAggregate]) -> ChunkAggregate:
    """Add aggregates together; raise SimulationInputError when a chunk appears twice."""
    if not aggregates:
        raise SimulationInputError("there are no chunk results to combine", "aggregates", 0)
    keys = Counter(sums.key for aggregate in aggregates for sums in aggregate.partial_sums)
    repeated = sorted(key for key, count in keys.items() if count > 1)
    if repeated:
        raise SimulationInputError(
            "the same chunk was counted twice; run each chunk once", "chunk seed", repeated[0]
        )
    sensitivity = aggregates[0].sensitivity
    for aggregate in aggregates[1:]:
        sensitivity = sensitivity + aggregate.sensitivity
    return ChunkAggregate(
        iterations=sum(aggregate.iterations for aggregate in aggregates),
        finish_counts=_added([a.finish_counts for a in aggregates]),
        elapsed_counts=_added([a.elapsed_counts for a in aggregates]),
        cost_counts=_added([a.cost_counts for a in aggregates]),
        critical_counts=_added([a.critical_counts for a in aggregates]),
        partial_sums=tuple(sorted((s for a in aggregates for s in a.partial_sums), key=_key)),
        finish_range=_span([a.finish_range for a in aggregates]),
        elapsed_range=_span([a.elapsed_range for a in aggregates]),
        cost_range=_span([a.cost_range for a in aggregates]),
        sensitivity=sensitivity,
    )


def _added(arrays: Sequence[IntArray]) -> IntArray:
    return np.asarray(np.sum(arrays, axis=0, dtype=np.int64), dtype=np.int64)


def _span(ranges: Sequence[tuple[float, float]]) -> tuple[float, float]:
    return min(low for low, _ in ranges), max(high for _, high in ranges)


def _key(sums: PartialSums) -> tuple[int, ...]:
    return sums.key


def _sample_durations(model: SimulationModel, rng: np.random.Generator, size: int) -> Float32Array:
    durations = np.empty((model.network.size, size), dtype=np.float32)
    fixed = model.fixed_positions
    durations[fixed] = model.base_durations[fixed].astype(np.float32)[:, None]
    draw(model.duration_groups, durations, rng)
    if model.copula is not None:
        durations[model.copula.targets] = model.copula.sample(rng, size)
    return durations


def _sample_risks(risks: RiskModel, rng: np.random.Generator, size: int) -> _RiskDraws:
    occurs = rng.random((risks.size, size)) < risks.probabilities[:, None]
    duration_impacts = np.empty((risks.size, size), dtype=np.float32)
    duration_impacts[:] = risks.fixed_duration_impacts.astype(np.float32)[:, None]
    draw(risks.duration_groups, duration_impacts, rng)
    cost_impacts = np.empty((risks.size, size), dtype=np.float64)
    cost_impacts[:] = risks.fixed_cost_impacts[:, None]
    draw(risks.cost_groups, cost_impacts, rng)
    return _RiskDraws(occurs, duration_impacts, cost_impacts)


def _apply_duration_risks(risks: RiskModel, durations: Float32Array, draws: _RiskDraws) -> None:
    if risks.hit_positions.size:
        extra = draws.duration_impacts[risks.hit_risks] * draws.occurs[risks.hit_risks]
        np.add.at(durations, risks.hit_positions, extra)


def _negative_rows(model: SimulationModel) -> IntArray:
    """Return the network rows a draw or a risk impact can take below zero.

    Normal draws, estimates with a negative optimistic value and negative risk impacts
    (opportunities) can; the other distributions never go below their optimistic value.
    """
    rows = [model.risks.hit_positions, np.flatnonzero(model.base_durations < 0.0)]
    if model.copula is not None:
        rows.append(model.copula.targets)
    for group in model.duration_groups:
        rows.append(
            group.targets if group.kind is Distribution.NORMAL else group.targets[group.low < 0.0]
        )
    return np.unique(np.concatenate(rows))


def _clamp_at_zero(durations: Float32Array, rows: IntArray) -> None:
    """Raise negative durations in ``rows`` to zero; clamping only them saves a full pass."""
    if rows.size:
        durations[rows] = np.maximum(durations[rows], np.float32(0.0))


def _sample_cost_items(model: SimulationModel, rng: np.random.Generator, size: int) -> FloatArray:
    costs = model.costs
    values = np.empty((costs.size, size), dtype=np.float64)
    values[:] = costs.base[:, None]
    draw(costs.groups, values, rng)
    return values


def _stretch(model: SimulationModel, durations: Float32Array) -> None:
    """Stretch resource-loaded durations by 1 / resource availability."""
    loaded = np.flatnonzero(model.stretch != 1.0)
    if loaded.size:
        durations[loaded] *= model.stretch[loaded].astype(np.float32)[:, None]


def _schedule(
    model: SimulationModel, durations: Float32Array
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the finish (elapsed and reference hours) and how often each activity was critical."""
    plan = model.network.plan
    limit = model.critical_threshold_hours + model.critical_tolerance_hours
    if plan.size:
        finish, counts = schedule_iterations(plan, durations, limit, model.kernels)
    else:
        finish, counts = _schedule_without_kernels(plan, durations, limit)
    elapsed = finish.astype(np.float64)
    hours = np.asarray(reference_hours(plan, elapsed), dtype=np.float64)
    return elapsed, hours, counts


def _schedule_without_kernels(
    plan: PassPlan, durations: Float32Array, limit: float
) -> tuple[Float32Array, IntArray]:
    """Run the numpy passes; schedule_iterations gives the same bits faster."""
    early = early_times(plan, durations, all_starts=False)
    finish = project_finish(plan, early)
    late = late_times(plan, durations, finish)
    total_float = np.subtract(late[1::2], early[1::2], out=late[1::2])
    # Compare in float32 as the kernels do, because a numpy float64 limit would otherwise
    # make numpy compare in float64.
    counts = np.count_nonzero(total_float <= np.float32(limit), axis=1).astype(np.int64)
    # Completed activities have zero float but are never critical.
    counts[~plan.scheduled] = 0
    return finish, counts
