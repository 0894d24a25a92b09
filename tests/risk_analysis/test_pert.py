from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from risk_analysis.errors import SimulationInputError
from risk_analysis.pert import pert_estimate
from schedules.model import Activity, Project, Relationship, ThreePointEstimate

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]
WEEK = 40.0


def test_pert_estimate_of_textbook_network(textbook: Project) -> None:
    estimate = pert_estimate(textbook)

    assert estimate.mean_hours == 15 * WEEK
    assert estimate.critical_path == ("A", "C", "E", "G", "H")
    assert estimate.standard_deviation_hours == pytest.approx(math.sqrt(112 / 36) * WEEK)


def test_pert_estimate_gives_the_published_probability(textbook: Project) -> None:
    estimate = pert_estimate(textbook)

    probability = estimate.probability_by(16 * WEEK)

    assert round(probability, 4) == 0.7146


def test_pert_estimate_gives_the_published_due_date(textbook: Project) -> None:
    estimate = pert_estimate(textbook)

    due = estimate.offset_for(0.99)

    assert round(due / WEEK, 2) == 19.10


def test_pert_estimate_takes_the_riskier_of_tied_paths(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # Two parallel 40 h activities; the second has the wider estimate.
    project = make_project(
        (
            make_task("A", 40, duration_estimate=ThreePointEstimate(36, 40, 44)),
            make_task("B", 40, duration_estimate=ThreePointEstimate(28, 40, 52)),
            make_task("C", 8),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    estimate = pert_estimate(project)

    assert estimate.critical_path == ("B", "C")
    assert estimate.standard_deviation_hours == pytest.approx(4.0)


def test_pert_estimate_without_spread_is_certain(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project((make_task("A", 40),))

    estimate = pert_estimate(project)

    assert estimate.standard_deviation_hours == 0.0
    assert estimate.probability_by(40.0) == 1.0
    assert estimate.probability_by(39.0) == 0.0
    assert estimate.offset_for(0.9) == 40.0


def test_pert_offset_rejects_confidence_of_one(textbook: Project) -> None:
    estimate = pert_estimate(textbook)

    with pytest.raises(SimulationInputError) as caught:
        estimate.offset_for(1.0)

    assert caught.value.field == "confidence"
