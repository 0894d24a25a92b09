from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pytest

from risk_analysis import distributions
from risk_analysis.errors import SimulationInputError
from risk_analysis.simulation import simulate
from schedules.model import (
    Activity,
    ActivityType,
    Assignment,
    Distribution,
    Project,
    Relationship,
    Resource,
)

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]
STANDARD_ERRORS = 5.0
CREW = Resource("crew", "site crew", "labor")
CONCRETE = Resource("concrete", "concrete", "material")


def costed(
    make_task: TaskFactory,
    make_project: ProjectFactory,
    resource: Resource,
    **fields: object,
) -> Project:
    """One 100 h activity whose remaining cost of 1,000 sits on one assignment of ``resource``."""
    activity = make_task("A", 100, remaining_cost=1000.0, budgeted_cost=1000.0)
    assignment = Assignment("as-1", "A", resource.id, budgeted_cost=1000.0, remaining_cost=1000.0)
    return make_project(
        (activity,), resources=(resource,), assignments=(assignment,), calendar=None, **fields
    )


def test_labour_cost_follows_the_sampled_duration(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    iterations = 20_000
    project = costed(make_task, make_project, CREW)

    result = simulate(
        project, iterations=iterations, seed=5, schedule_uncertainty=0.4, budget_uncertainty=0
    )

    # The duration is Tri(80, 100, 140); the crew costs 10 per hour of it.
    deviation = math.sqrt(distributions.variance(Distribution.TRIANGULAR, 80, 100, 140)[0])
    mean_hours = 320 / 3
    assert abs(result.finish.mean_hours - mean_hours) <= (
        STANDARD_ERRORS * deviation / math.sqrt(iterations)
    )
    assert result.cost.mean == pytest.approx(10 * result.finish.mean_hours, rel=1e-6)
    for hours, cost in zip(result.finish.percentiles, result.cost.percentiles, strict=True):
        tolerance = 10 * result.finish.resolution_hours + result.cost.resolution
        assert abs(cost.cost - 10 * hours.offset_hours) <= tolerance
    assert result.sensitivity.cost[0].kind == "activity_duration"
    assert result.sensitivity.cost[0].coefficient == pytest.approx(1.0, abs=1e-3)


def test_material_cost_ignores_the_duration(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = costed(make_task, make_project, CONCRETE)

    result = simulate(
        project, iterations=2000, seed=5, schedule_uncertainty=0.4, budget_uncertainty=0
    )

    assert result.finish.standard_deviation_hours > 5.0
    assert result.cost.standard_deviation == 0.0
    assert result.cost.mean == 1000.0


def test_level_of_effort_cost_follows_the_project_duration(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 100),
            make_task(
                "PM", 100, type=ActivityType.LEVEL_OF_EFFORT, remaining_cost=500.0,
                budgeted_cost=500.0,
            ),
        ),
        calendar=None,
    )  # fmt: skip

    result = simulate(
        project, iterations=5000, seed=6, schedule_uncertainty=0.4, budget_uncertainty=0
    )

    # Project management costs 5 per hour of remaining project duration.
    assert result.cost.mean == pytest.approx(5 * result.finish.mean_hours, rel=1e-6)
    assert result.cost.deterministic_cost == 500.0


def test_resource_availability_stretches_loaded_work_only(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    base = costed(make_task, make_project, CREW)
    project = make_project(
        (*base.activities, make_task("B", 110)),
        (Relationship("A", "B", lag_hours=-110.0),),
        resources=base.resources,
        assignments=base.assignments,
        calendar=None,
    )

    result = simulate(
        project,
        iterations=200,
        seed=1,
        schedule_uncertainty=0,
        budget_uncertainty=0,
        resource_availability=0.8,
    )

    # A needs 100 / 0.8 = 125 h with 80 % of its crew; B, unloaded, still ends at 110 h.
    assert result.finish.deterministic_hours == 110.0
    assert result.finish.mean_hours == pytest.approx(125.0)
    assert result.finish.standard_deviation_hours == 0.0
    # Fewer people over a longer time do the same work, so the cost stays.
    assert result.cost.mean == 1000.0


@pytest.mark.parametrize("availability", [0.0, -0.5, 1.2, math.nan], ids=str)
def test_resource_availability_must_be_a_share(
    make_task: TaskFactory, make_project: ProjectFactory, availability: float
) -> None:
    project = costed(make_task, make_project, CREW)

    with pytest.raises(SimulationInputError) as caught:
        simulate(
            project,
            iterations=10,
            seed=1,
            schedule_uncertainty=0,
            budget_uncertainty=0,
            resource_availability=availability,
        )

    assert caught.value.field == "resource_availability"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=str)
@pytest.mark.parametrize("name", ["budgeted_cost", "actual_cost", "remaining_cost"])
def test_non_finite_activity_cost_is_named(
    make_task: TaskFactory, make_project: ProjectFactory, name: str, value: float
) -> None:
    costs = {"budgeted_cost": 1000.0, "remaining_cost": 1000.0, name: value}
    project = make_project((make_task("A", 100, **costs),), calendar=None)

    with pytest.raises(SimulationInputError) as caught:
        simulate(project, iterations=10, seed=1, schedule_uncertainty=0, budget_uncertainty=0.2)

    assert caught.value.field == f"{name} of activity A"
    assert "finite" in str(caught.value)


def test_non_finite_assignment_cost_is_named(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = costed(make_task, make_project, CREW)
    broken = replace(project.assignments[0], remaining_cost=math.nan)
    project = replace(project, assignments=(broken,))

    with pytest.raises(SimulationInputError) as caught:
        simulate(project, iterations=10, seed=1, schedule_uncertainty=0, budget_uncertainty=0.2)

    assert caught.value.field == "remaining_cost of assignment as-1 on activity A"
