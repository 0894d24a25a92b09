"""Three-point estimates describe the whole activity; a started one samples its remainder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from risk_analysis.simulation import simulate
from schedules.model import Activity, ActivityStatus, Distribution, Project, ThreePointEstimate

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]

WHOLE = ThreePointEstimate(60.0, 80.0, 100.0, Distribution.UNIFORM)


def half_done(make_task: TaskFactory, make_project: ProjectFactory) -> Project:
    activity = make_task(
        "A",
        80,
        status=ActivityStatus.IN_PROGRESS,
        actual_start=datetime(2023, 12, 1, 8),
        remaining_duration_hours=40.0,
        duration_estimate=WHOLE,
        budgeted_cost=1000.0,
        actual_cost=500.0,
        remaining_cost=500.0,
        cost_estimate=ThreePointEstimate(800.0, 1000.0, 1200.0, Distribution.UNIFORM),
    )
    return make_project((activity,))


def test_started_activity_samples_scaled_remainder(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = half_done(make_task, make_project)

    result = simulate(
        project, iterations=4000, seed=3, schedule_uncertainty=0.0, budget_uncertainty=0.0
    )

    # Half the work remains, so the remaining duration is uniform on 30..50 h (mean 40 h)
    # and the remaining cost uniform on 400..600 (mean 500), on top of 500 already spent.
    assert abs(result.finish.mean_hours - 40.0) < 1.0
    assert result.finish.distribution.minimum >= 30.0 - 0.5
    assert result.finish.distribution.maximum <= 50.0 + 0.5
    assert abs(result.cost.mean - 1000.0) < 10.0
    assert result.cost.distribution.minimum >= 900.0 - 1.0
    assert result.cost.distribution.maximum <= 1100.0 + 1.0
