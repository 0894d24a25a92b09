from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from risk_analysis.chunks import combine, plan_chunks, run_chunk
from risk_analysis.results import merge
from risk_analysis.sensitivity import (
    centred_ranks,
    ranked_iterations,
    untied_correlations,
)
from risk_analysis.simulation import simulate
from risk_analysis.uncertainty import build_model
from schedules.model import Activity, Project, Relationship, Risk, ThreePointEstimate

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]
STANDARD_ERRORS = 5.0


def merging_paths(
    make_task: TaskFactory, make_project: ProjectFactory, **fields: object
) -> Project:
    # A (80 to 200 h) always outlasts B (10 to 30 h), so A alone sets the finish.
    return make_project(
        (
            make_task("A", 100, duration_estimate=ThreePointEstimate(80, 100, 200)),
            make_task("B", 20, duration_estimate=ThreePointEstimate(10, 20, 30)),
            make_task("C", 8),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
        **fields,
    )


def test_centred_ranks_share_ties() -> None:
    values = np.array([[3.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 5.0]])

    ranks = centred_ranks(values)

    assert ranks.tolist() == [[1.5, -1.5, 0.0, 0.0], [-0.5, -0.5, -0.5, 1.5]]


def awkward_rows(count: int, dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """Rows with continuous draws, ties, signed zeros, a constant and near neighbours."""
    rng = np.random.default_rng(3)
    rows = (rng.normal(size=(6, count)) * 3 + 100).astype(dtype)
    rows[1, ::2] = 100.0
    rows[2] = rng.choice(np.array([-1.5, -0.0, 0.0, 2.0], dtype=dtype), size=count)
    rows[3] = 7.0
    rows[4] = np.nextafter(dtype(100.0), dtype(101.0)) + np.arange(count) % 3 * 1e-5
    rows[5, : count // 2] = rows[5, count // 2 : 2 * (count // 2)]
    return rows


@pytest.mark.parametrize(
    ("count", "dtype"),
    [(500, np.float32), (1000, np.float32), (5000, np.float32), (500, np.float64)],
    ids=["500-float32", "1000-float32", "5000-float32-argsort", "500-float64-argsort"],
)
def test_untied_correlations_rank_ties_by_position(count: int, dtype: type[np.floating]) -> None:
    values = awkward_rows(count, dtype)
    cycle = (np.arange(count) % 7).astype(np.float64)
    outputs = centred_ranks(cycle[None, :]).astype(np.float64)
    # The reference: ranks from a stable argsort, so ties are broken by position.
    order = np.argsort(values, axis=1, kind="stable")
    ranks = np.empty(values.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, np.arange(count) - (count - 1) / 2.0, axis=1)
    expected = (ranks @ outputs[0]) / np.sqrt(
        np.sum(ranks * ranks, axis=1) * np.dot(outputs[0], outputs[0])
    )

    coefficients = untied_correlations(values, outputs)[0]

    assert coefficients == pytest.approx(expected, abs=1e-12)


def test_ranked_iterations_follow_the_budget() -> None:
    counts = [ranked_iterations(2500, index, 1000) for index in range(4)]

    assert counts == [1000, 1000, 500, 0]


def test_sensitivity_ranks_the_driving_activity_first(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    iterations = 5000
    project = merging_paths(make_task, make_project)

    result = simulate(
        project, iterations=iterations, seed=3, schedule_uncertainty=0, budget_uncertainty=0
    )

    drivers = {driver.code: driver for driver in result.sensitivity.finish}
    assert result.sensitivity.finish[0].code == "A"
    assert drivers["A"].kind == "activity_duration"
    # The finish rises with A alone; float32 rounding ties a few finishes, hence not exactly 1.
    assert drivers["A"].coefficient == pytest.approx(1.0, abs=1e-4)
    # B is independent of the finish, so its coefficient is noise of about 1 / sqrt(n).
    b = drivers["B"].coefficient if "B" in drivers else 0.0
    assert abs(b) <= STANDARD_ERRORS / math.sqrt(iterations)
    assert result.sensitivity.iterations == iterations


def test_sensitivity_ranks_risks_and_costs(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    risk = Risk(
        id="R1",
        title="ground conditions",
        probability=0.5,
        duration_impact_hours=ThreePointEstimate(150, 150, 150),
        cost_impact=ThreePointEstimate(5000, 6000, 9000),
        affected_activity_ids=("A",),
    )
    project = merging_paths(make_task, make_project, risks=(risk,))
    project = make_project(
        tuple(
            make_task(a.code, a.remaining_duration_hours, duration_estimate=a.duration_estimate,
                      remaining_cost=cost, budgeted_cost=cost,
                      cost_estimate=ThreePointEstimate(cost * 0.5, cost, cost * 2))
            for a, cost in zip(project.activities, (100.0, 1000.0, 10.0), strict=True)
        ),
        project.relationships,
        risks=(risk,),
    )  # fmt: skip

    result = simulate(
        project, iterations=4000, seed=4, schedule_uncertainty=0, budget_uncertainty=0
    )

    finish = {(d.kind, d.code): d.coefficient for d in result.sensitivity.finish}
    cost = {(d.kind, d.code): d.coefficient for d in result.sensitivity.cost}
    assert result.sensitivity.finish[0].kind == "risk"
    assert finish[("risk", "R1")] > finish[("activity_duration", "A")] > 0.3
    assert result.sensitivity.cost[0].kind == "risk"
    assert (
        cost[("risk", "R1")] > cost[("activity_cost", "B")] > cost.get(("activity_cost", "A"), 0.0)
    )


def test_sensitivity_is_the_same_for_any_grouping(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    model = build_model(
        merging_paths(make_task, make_project),
        schedule_uncertainty=0,
        budget_uncertainty=0,
        sensitivity_iterations=2500,
    )
    chunks = plan_chunks(seed=12, iterations=4000, chunk_size=1000)
    aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in chunks]

    one_group = merge(model, [combine(aggregates)]).sensitivity
    four_groups = merge(model, aggregates).sensitivity
    reversed_pairs = merge(
        model, [combine(aggregates[2:][::-1]), combine(aggregates[:2][::-1])]
    ).sensitivity

    assert one_group == four_groups
    assert reversed_pairs == four_groups
    assert four_groups.iterations == 2500
    assert four_groups.finish[0].code == "A"


def test_sensitivity_can_be_switched_off(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    result = simulate(
        merging_paths(make_task, make_project),
        iterations=1000,
        seed=1,
        schedule_uncertainty=0,
        budget_uncertainty=0,
        sensitivity_iterations=0,
    )

    assert result.sensitivity.iterations == 0
    assert result.sensitivity.finish == ()
    assert result.sensitivity.cost == ()
