from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from risk_analysis import distributions
from risk_analysis.errors import SimulationInputError
from risk_analysis.pert import pert_estimate
from risk_analysis.simulation import simulate
from schedules import import_schedule, sample_project_bytes
from schedules.model import (
    Activity,
    ActivityStatus,
    Distribution,
    Project,
    Relationship,
    Risk,
    ThreePointEstimate,
)
from schedules.xer import read_xer

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]
WEEK = 40.0
# Standard errors a simulated share may stray from its expected value (see test_distributions).
STANDARD_ERRORS = 5.0


def share_tolerance(probability: float, iterations: int) -> float:
    return STANDARD_ERRORS * math.sqrt(probability * (1 - probability) / iterations)


def test_simulation_shows_merge_bias_on_textbook(textbook: Project) -> None:
    iterations = 20_000

    result = simulate(
        textbook, iterations=iterations, seed=1, schedule_uncertainty=0, budget_uncertainty=0
    )

    analytic = pert_estimate(textbook).probability_by(16 * WEEK)
    simulated = result.finish.probability_by(16 * WEEK)
    assert simulated < analytic - share_tolerance(analytic, iterations)
    assert result.finish.percentiles[0].offset_hours > result.finish.deterministic_hours


def test_simulation_reports_deterministic_finish_beside_p50(textbook: Project) -> None:
    result = simulate(
        textbook, iterations=2000, seed=2, schedule_uncertainty=0, budget_uncertainty=0
    )

    assert result.finish.deterministic_hours == 15 * WEEK
    assert result.finish.deterministic_date == datetime(2024, 4, 12, 17)
    assert [p.confidence for p in result.finish.percentiles] == [0.5, 0.8, 0.95]
    offsets = [p.offset_hours for p in result.finish.percentiles]
    assert offsets == sorted(offsets)


def test_simulation_criticality_splits_between_merging_paths(textbook: Project) -> None:
    result = simulate(
        textbook, iterations=5000, seed=3, schedule_uncertainty=0, budget_uncertainty=0
    )

    index = {entry.code: entry.index for entry in result.criticality}
    # H ends every path, and ahead of G one of the chains A-C-E and B-D drives. Both count
    # when they tie within the float32 tolerance (under 0.1 h), which chains whose lengths
    # differ by weeks on average do in well under 0.2 % of iterations.
    assert index["H"] == 1.0
    assert index["A"] == index["C"]
    assert index["B"] == index["D"]
    assert 1.0 <= index["A"] + index["B"] <= 1.002
    assert 1.0 <= index["G"] + index.get("F", 0.0) <= 1.002
    assert index["A"] > index["B"]


def test_simulation_same_seed_gives_same_result(textbook: Project) -> None:
    def run(seed: int) -> object:
        return simulate(
            textbook, iterations=3000, seed=seed, schedule_uncertainty=0, budget_uncertainty=0.2
        )

    first, second, other = run(5), run(5), run(6)

    assert first == second
    assert first != other


def test_simulation_without_uncertainty_repeats_cpm(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 40, remaining_cost=100.0, budgeted_cost=100.0),
            make_task("B", 24, remaining_cost=50.0, budgeted_cost=50.0),
            make_task("C", 8),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    result = simulate(
        project, iterations=500, seed=1, schedule_uncertainty=0, budget_uncertainty=0
    )

    assert result.finish.standard_deviation_hours == 0.0
    assert result.finish.mean_hours == 48.0
    assert all(p.offset_hours == 48.0 for p in result.finish.percentiles)
    assert [(c.code, c.index) for c in result.criticality] == [("A", 1.0), ("C", 1.0)]
    assert all(p.cost == 150.0 for p in result.cost.percentiles)
    assert all(p.ratio_to_budget == 1.0 for p in result.cost.percentiles)


def test_simulation_spread_matches_a_triangular_duration(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    iterations = 20_000
    project = make_project((make_task("A", 100),))

    result = simulate(
        project, iterations=iterations, seed=4, schedule_uncertainty=0.4, budget_uncertainty=0
    )

    # Without an estimate the duration is Tri(80, 100, 140), mean 320 / 3.
    finish = result.finish
    deviation = math.sqrt(distributions.variance(Distribution.TRIANGULAR, 80, 100, 140)[0])
    assert abs(finish.mean_hours - 320 / 3) <= STANDARD_ERRORS * deviation / math.sqrt(iterations)
    for percentile in finish.percentiles:
        p = percentile.confidence
        low, high = distributions.ppf(
            Distribution.TRIANGULAR, 80, 100, 140,
            [p - share_tolerance(p, iterations), p + share_tolerance(p, iterations)],
        )  # fmt: skip
        assert low - finish.resolution_hours <= percentile.offset_hours
        assert percentile.offset_hours <= high + finish.resolution_hours


def test_simulation_resolution_is_fine(textbook: Project) -> None:
    result = simulate(
        textbook, iterations=1000, seed=1, schedule_uncertainty=0, budget_uncertainty=0.1
    )

    # 10,000 bins between the shortest and longest possible finish (about 7 to 23 weeks).
    assert result.finish.resolution_hours < 0.1
    assert result.finish.s_curve[-1].probability == 1.0
    assert sum(b.count for b in result.finish.histogram) == 1000
    assert result.cost.s_curve[0].probability == 0.0


def test_simulation_keeps_actual_cost_and_spreads_the_rest(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    iterations = 10_000
    project = make_project(
        (
            make_task(
                "A", 8, status=ActivityStatus.COMPLETED, remaining_duration_hours=0.0,
                actual_start=datetime(2023, 12, 29, 8), actual_finish=datetime(2023, 12, 29, 17),
                actual_cost=500.0, budgeted_cost=400.0,
            ),
            make_task("B", 16, remaining_cost=1000.0, budgeted_cost=1000.0),
        ),
        (Relationship("A", "B"),),
    )  # fmt: skip

    result = simulate(
        project, iterations=iterations, seed=8, schedule_uncertainty=0, budget_uncertainty=0.3
    )

    # B's remaining cost is Tri(850, 1000, 1300): mean 1050, so the total is 1550 on average.
    cost = result.cost
    deviation = math.sqrt(distributions.variance(Distribution.TRIANGULAR, 850, 1000, 1300)[0])
    assert abs(cost.mean - 1550.0) <= STANDARD_ERRORS * deviation / math.sqrt(iterations)
    assert cost.distribution.minimum >= 1350.0
    assert cost.budget_at_completion == 1400.0
    assert cost.deterministic_cost == 1500.0
    assert cost.percentiles[0].ratio_to_budget == pytest.approx(cost.percentiles[0].cost / 1400)
    assert "A" not in {entry.code for entry in result.criticality}


def test_simulation_applies_risk_events(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    iterations = 10_000
    risk = Risk(
        id="R1",
        title="late permit",
        probability=0.3,
        duration_impact_hours=ThreePointEstimate(16, 16, 16),
        cost_impact=ThreePointEstimate(1000, 1000, 1000),
        affected_activity_ids=("A", "B"),
    )
    project = make_project(
        (make_task("A", 40), make_task("B", 8)), (Relationship("A", "B"),), risks=(risk,)
    )

    result = simulate(
        project, iterations=iterations, seed=9, schedule_uncertainty=0, budget_uncertainty=0
    )

    # The risk adds 16 h to A and to B (48 h to 80 h) and 1,000 per activity hit.
    on_time = result.finish.probability_by(48.0)
    assert abs(on_time - 0.7) <= share_tolerance(0.7, iterations)
    assert result.finish.distribution.maximum == 80.0
    assert abs(result.cost.mean - 600.0) <= STANDARD_ERRORS * 2000 * math.sqrt(0.21 / iterations)


def test_simulation_ignores_closed_risks(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    risk = Risk(
        id="R1",
        title="retired",
        probability=1.0,
        duration_impact_hours=ThreePointEstimate(16, 16, 16),
        affected_activity_ids=("A",),
        status="Closed",
    )
    project = make_project((make_task("A", 40),), risks=(risk,))

    result = simulate(
        project, iterations=100, seed=1, schedule_uncertainty=0, budget_uncertainty=0
    )

    assert result.finish.distribution.maximum == 40.0


def test_simulation_rejects_risk_on_unknown_activity(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    risk = Risk(id="R1", title="typo", probability=0.5, affected_activity_ids=("ZZ",))
    project = make_project((make_task("A", 40),), risks=(risk,))

    with pytest.raises(SimulationInputError) as caught:
        simulate(project, iterations=10, seed=1, schedule_uncertainty=0, budget_uncertainty=0)

    assert caught.value.value == "ZZ"
    assert "R1" in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"iterations": 0}, "iterations"),
        ({"schedule_uncertainty": -0.1}, "schedule_uncertainty"),
        ({"budget_uncertainty": 3.0}, "budget_uncertainty"),
        ({"confidence_levels": (0.5, 1.0)}, "confidence_levels"),
        ({"confidence_levels": (0.5, 0.50000000001)}, "confidence_levels"),
        ({"confidence_levels": (1e-300, 0.5)}, "confidence_levels"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
    ids=[
        "no-iterations",
        "negative-spread",
        "huge-spread",
        "certain-level",
        "levels-sharing-a-key",
        "level-reading-p0",
        "empty-chunk",
    ],
)
def test_simulation_rejects_invalid_settings(
    textbook: Project, settings: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "iterations": 100,
        "seed": 1,
        "schedule_uncertainty": 0.1,
        "budget_uncertainty": 0.1,
    }
    arguments.update(settings)

    with pytest.raises(SimulationInputError) as caught:
        simulate(textbook, **arguments)  # type: ignore[arg-type]

    assert caught.value.field == field


@pytest.mark.parametrize(
    "availability", [2e-6, 1e-300], ids=["finish-after-year-9999", "horizon-past-timedelta"]
)
def test_simulation_rejects_finish_past_last_calendar_date(availability: float) -> None:
    project = import_schedule(sample_project_bytes(), max_bytes=10**8).project

    with pytest.raises(SimulationInputError) as caught:
        simulate(
            project,
            iterations=10,
            seed=1,
            schedule_uncertainty=0.2,
            budget_uncertainty=0.15,
            resource_availability=availability,
        )

    assert caught.value.field == "resource_availability"
    assert "9999-12-31" in str(caught.value)


def test_simulation_rejects_misordered_estimate(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project((make_task("A", 40, duration_estimate=ThreePointEstimate(50, 40, 60)),))

    with pytest.raises(SimulationInputError) as caught:
        simulate(project, iterations=10, seed=1, schedule_uncertainty=0, budget_uncertainty=0)

    assert caught.value.field == "duration_estimate of activity A"


def test_simulation_of_real_schedule(shared_data: Path) -> None:
    project, _ = read_xer((shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes())

    result = simulate(
        project, iterations=2000, seed=11, schedule_uncertainty=0.2, budget_uncertainty=0.1
    )

    percentiles = [p.offset_hours for p in result.finish.percentiles]
    assert result.iterations == 2000
    assert percentiles == sorted(percentiles)
    assert percentiles[0] > result.finish.deterministic_hours
    assert result.cost.percentiles[0].cost > result.cost.deterministic_cost
    indexes = [entry.index for entry in result.criticality]
    assert 1 <= len(indexes) <= 20
    assert indexes == sorted(indexes, reverse=True)
    assert indexes[0] == 1.0
