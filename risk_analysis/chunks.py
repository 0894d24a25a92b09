"""Simulation chunks: sample a block of iterations and reduce it to an aggregate.

Iterations are cut into chunks of a fixed size, and chunk ``i`` draws from child ``i`` of
``SeedSequence(seed)``. A chunk's outcome therefore depends on the seed, its index and its
size only, never on which worker runs it or how many run.

A chunk returns counts on histogram edges fixed before sampling, criticality counts and its
own sums keyed by its seed. Counts add exactly, and merge adds the sums with math.fsum, so
merging aggregates in any order or grouping gives the same result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis import distributions
from risk_analysis.errors import SimulationInputError
from risk_analysis.passes import early_times, late_times, project_finish, reference_hours
from risk_analysis.uncertainty import EstimateGroup, RiskModel, SimulationModel

IntArray = npt.NDArray[np.int64]
Float32Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]

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

    The sums are of each value minus its deterministic counterpart (CPM finish, cost at
    completion), so the sum of squares stays small enough to subtract without losing the
    variance.
    """

    key: tuple[int, ...]
    finish_sum: float
    finish_squares: float
    cost_sum: float
    cost_squares: float


@dataclass(frozen=True, slots=True, eq=False)
class ChunkAggregate:
    """What one or more chunks return: counts, sums and extremes, never the samples."""

    iterations: int
    finish_counts: IntArray
    cost_counts: IntArray
    critical_counts: IntArray
    partial_sums: tuple[PartialSums, ...]
    finish_range: tuple[float, float]
    cost_range: tuple[float, float]


def plan_chunks(
    seed: int, iterations: int, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[ChunkSpec, ...]:
    """Cut ``iterations`` into chunks of ``chunk_size`` (the last one smaller), one seed each."""
    if iterations < 1:
        raise SimulationInputError("run at least one iteration", "iterations", iterations)
    if chunk_size < 1:
        raise SimulationInputError("chunks need at least one iteration", "chunk_size", chunk_size)
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
    rng = np.random.default_rng(chunk_seed)
    durations = _sample_durations(model, rng, size)
    occurs, duration_impacts, cost_impacts = _sample_risks(model.risks, rng, size)
    _apply_duration_risks(model.risks, durations, occurs, duration_impacts)
    costs = _sample_costs(model, rng, size, occurs, cost_impacts)
    finish, critical_counts = _schedule(model, durations)

    finish_shift = finish.astype(np.float64) - model.deterministic.project_finish_hours
    cost_shift = costs - model.deterministic_cost
    sums = PartialSums(
        key=tuple(chunk_seed.spawn_key),
        finish_sum=float(np.sum(finish_shift)),
        finish_squares=float(np.sum(finish_shift * finish_shift)),
        cost_sum=float(np.sum(cost_shift)),
        cost_squares=float(np.sum(cost_shift * cost_shift)),
    )
    return ChunkAggregate(
        iterations=size,
        finish_counts=model.finish_edges.count(finish),
        cost_counts=model.cost_edges.count(costs),
        critical_counts=critical_counts,
        partial_sums=(sums,),
        finish_range=(float(finish.min()), float(finish.max())),
        cost_range=(float(costs.min()), float(costs.max())),
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
    return ChunkAggregate(
        iterations=sum(aggregate.iterations for aggregate in aggregates),
        finish_counts=np.sum([a.finish_counts for a in aggregates], axis=0, dtype=np.int64),
        cost_counts=np.sum([a.cost_counts for a in aggregates], axis=0, dtype=np.int64),
        critical_counts=np.sum([a.critical_counts for a in aggregates], axis=0, dtype=np.int64),
        partial_sums=tuple(sorted((s for a in aggregates for s in a.partial_sums), key=_key)),
        finish_range=(
            min(a.finish_range[0] for a in aggregates),
            max(a.finish_range[1] for a in aggregates),
        ),
        cost_range=(
            min(a.cost_range[0] for a in aggregates),
            max(a.cost_range[1] for a in aggregates),
        ),
    )


def _key(sums: PartialSums) -> tuple[int, ...]:
    return sums.key


def _draw(
    groups: Sequence[EstimateGroup], values: npt.NDArray[np.floating], rng: np.random.Generator
) -> None:
    """Overwrite the rows of ``values`` (items x iterations) that the groups sample."""
    for group in groups:
        draws = distributions.sample(
            group.kind, group.low, group.mode, group.high, values.shape[1], rng, values.dtype.type
        )
        values[group.targets] = draws.T


def _sample_durations(model: SimulationModel, rng: np.random.Generator, size: int) -> Float32Array:
    durations = np.empty((model.network.size, size), dtype=np.float32)
    durations[:] = model.base_durations.astype(np.float32)[:, None]
    _draw(model.duration_groups, durations, rng)
    return durations


def _sample_risks(
    risks: RiskModel, rng: np.random.Generator, size: int
) -> tuple[npt.NDArray[np.bool_], Float32Array, FloatArray]:
    occurs = rng.random((risks.size, size)) < risks.probabilities[:, None]
    duration_impacts = np.empty((risks.size, size), dtype=np.float32)
    duration_impacts[:] = risks.fixed_duration_impacts.astype(np.float32)[:, None]
    _draw(risks.duration_groups, duration_impacts, rng)
    cost_impacts = np.empty((risks.size, size), dtype=np.float64)
    cost_impacts[:] = risks.fixed_cost_impacts[:, None]
    _draw(risks.cost_groups, cost_impacts, rng)
    return occurs, duration_impacts, cost_impacts


def _apply_duration_risks(
    risks: RiskModel,
    durations: Float32Array,
    occurs: npt.NDArray[np.bool_],
    impacts: Float32Array,
) -> None:
    if risks.hit_positions.size:
        extra = impacts[risks.hit_risks] * occurs[risks.hit_risks]
        np.add.at(durations, risks.hit_positions, extra)
    # Normal draws and negative impacts (opportunities) can go below zero.
    np.maximum(durations, 0.0, out=durations)


def _sample_costs(
    model: SimulationModel,
    rng: np.random.Generator,
    size: int,
    occurs: npt.NDArray[np.bool_],
    impacts: FloatArray,
) -> FloatArray:
    total = np.full(size, model.fixed_cost, dtype=np.float64)
    for group in model.cost_groups:
        draws = distributions.sample(
            group.kind, group.low, group.mode, group.high, size, rng, np.float64
        )
        total += draws.sum(axis=1)
    risks = model.risks
    if risks.size:
        total += np.sum(impacts * occurs * risks.cost_multipliers[:, None], axis=0)
    return total


def _schedule(model: SimulationModel, durations: Float32Array) -> tuple[Float32Array, IntArray]:
    """Return the project finish and how often each activity was critical."""
    plan = model.network.plan
    early = early_times(plan, durations)
    elapsed = project_finish(plan, early)
    late = late_times(plan, durations, elapsed)
    finish = reference_hours(plan, elapsed)
    total_float = np.subtract(late[1::2], early[1::2], out=late[1::2])
    limit = model.critical_threshold_hours + model.critical_tolerance_hours
    critical = total_float <= limit
    critical &= plan.scheduled[:, None]
    return np.asarray(finish, dtype=np.float32), critical.sum(axis=1, dtype=np.int64)
