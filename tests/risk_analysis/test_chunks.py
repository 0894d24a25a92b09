from __future__ import annotations

import pickle

import numpy as np
import pytest

from risk_analysis.chunks import combine, plan_chunks, run_chunk
from risk_analysis.errors import SimulationInputError
from risk_analysis.results import merge
from risk_analysis.simulation import simulate
from risk_analysis.uncertainty import SimulationModel, build_model
from schedules.model import Project


@pytest.fixture
def model(textbook: Project) -> SimulationModel:
    return build_model(textbook, schedule_uncertainty=0.0, budget_uncertainty=0.2)


def test_plan_chunks_cuts_fixed_sizes() -> None:
    chunks = plan_chunks(seed=3, iterations=2500, chunk_size=1000)

    assert [chunk.size for chunk in chunks] == [1000, 1000, 500]
    assert [chunk.seed.spawn_key for chunk in chunks] == [(0,), (1,), (2,)]


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
