from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest

from risk_analysis import chunks
from risk_analysis.chunks import combine, plan_chunks, run_chunk
from risk_analysis.errors import SimulationInputError
from risk_analysis.results import merge
from risk_analysis.simulation import simulate
from risk_analysis.uncertainty import SimulationModel, build_model
from schedules.model import (
    Activity,
    Distribution,
    Project,
    Relationship,
    Risk,
    ThreePointEstimate,
)


@pytest.fixture
def model(textbook: Project) -> SimulationModel:
    return build_model(textbook, schedule_uncertainty=0.0, budget_uncertainty=0.2)


def test_plan_chunks_cuts_fixed_sizes() -> None:
    chunks = plan_chunks(seed=3, iterations=2500, chunk_size=1000)

    assert [chunk.size for chunk in chunks] == [1000, 1000, 500]
    assert [chunk.seed.spawn_key for chunk in chunks] == [(0,), (1,), (2,)]


def test_plan_chunks_rejects_negative_seed() -> None:
    with pytest.raises(SimulationInputError) as caught:
        plan_chunks(seed=-1, iterations=100, chunk_size=10)

    assert caught.value.field == "seed"


def test_plan_chunks_seeds_do_not_depend_on_the_count() -> None:
    short = plan_chunks(seed=3, iterations=2000, chunk_size=1000)
    long = plan_chunks(seed=3, iterations=5000, chunk_size=1000)

    assert [c.seed.generate_state(4).tolist() for c in short] == [
        c.seed.generate_state(4).tolist() for c in long[:2]
    ]


def test_merge_of_one_group_equals_merge_of_four(model: SimulationModel) -> None:
    chunks = plan_chunks(seed=12, iterations=4000, chunk_size=1000)
    aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in chunks]

    one_worker = merge(model, [combine(aggregates)])
    four_workers = merge(model, aggregates)
    two_workers_reversed = merge(
        model, [combine(aggregates[2:][::-1]), combine(aggregates[:2][::-1])]
    )

    assert one_worker == four_workers
    assert two_workers_reversed == four_workers


def test_simulate_equals_merge_of_separate_chunks(
    model: SimulationModel, textbook: Project
) -> None:
    chunks = plan_chunks(seed=12, iterations=4000, chunk_size=1000)
    aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in reversed(chunks)]

    result = simulate(
        textbook, iterations=4000, seed=12, schedule_uncertainty=0.0, budget_uncertainty=0.2
    )

    assert merge(model, aggregates) == result


def test_run_chunk_repeats_from_the_same_seed(model: SimulationModel) -> None:
    chunk = plan_chunks(seed=5, iterations=800, chunk_size=800)[0]

    first = run_chunk(model, chunk.seed, chunk.size)
    second = run_chunk(model, chunk.seed, chunk.size)

    assert np.array_equal(first.finish_counts, second.finish_counts)
    assert np.array_equal(first.critical_counts, second.critical_counts)
    assert first.partial_sums == second.partial_sums


def test_chunk_aggregate_survives_pickling(model: SimulationModel) -> None:
    chunk = plan_chunks(seed=5, iterations=200, chunk_size=200)[0]
    aggregate = run_chunk(model, chunk.seed, chunk.size)

    copy = pickle.loads(pickle.dumps(aggregate))

    assert merge(model, [copy]) == merge(model, [aggregate])


def test_combine_rejects_a_chunk_counted_twice(model: SimulationModel) -> None:
    chunk = plan_chunks(seed=5, iterations=200, chunk_size=200)[0]
    aggregate = run_chunk(model, chunk.seed, chunk.size)

    with pytest.raises(SimulationInputError) as caught:
        combine([aggregate, aggregate])

    assert caught.value.value == (0,)


def test_aggregate_counts_every_iteration(model: SimulationModel) -> None:
    chunk = plan_chunks(seed=5, iterations=700, chunk_size=700)[0]

    aggregate = run_chunk(model, chunk.seed, chunk.size)

    assert aggregate.iterations == 700
    assert int(aggregate.finish_counts.sum()) == 700
    assert int(aggregate.cost_counts.sum()) == 700
    assert int(aggregate.critical_counts.max()) == 700


def test_negative_rows_cover_negative_draws(
    make_task: Callable[..., Activity], make_project: Callable[..., Project]
) -> None:
    opportunity = Risk(
        id="R1",
        title="early access",
        probability=0.9,
        duration_impact_hours=ThreePointEstimate(-80, -40, -10),
        affected_activity_ids=("C",),
    )
    wide = Distribution.NORMAL
    project = make_project(
        (
            make_task("A", 10, duration_estimate=ThreePointEstimate(0, 2, 60, wide)),
            make_task("B", 10, duration_estimate=ThreePointEstimate(-4, 8, 12)),
            make_task("C", 20, duration_estimate=ThreePointEstimate(15, 20, 30)),
            make_task("D", 30, duration_estimate=ThreePointEstimate(20, 30, 40)),
        ),
        (Relationship("A", "B"), Relationship("B", "C"), Relationship("C", "D")),
        risks=(opportunity,),
    )
    model = build_model(project, schedule_uncertainty=0.0, budget_uncertainty=0.0)
    rng = np.random.Generator(np.random.SFC64(2))
    durations = chunks._sample_durations(model, rng, 5000)
    chunks._apply_duration_risks(
        model.risks, durations, chunks._sample_risks(model.risks, rng, 5000)
    )

    below = set(np.flatnonzero((durations < 0.0).any(axis=1)).tolist())
    position = model.network.positions
    assert below == {position["A"], position["B"], position["C"]}
    assert set(chunks._negative_rows(model).tolist()) == below
