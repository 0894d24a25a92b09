"""The compiled passes against the numpy passes: the same bits on every kind of network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from risk_analysis import pass_kernels, prepare_kernels, sensitivity
from risk_analysis.chunks import _sample_durations, _schedule_without_kernels
from risk_analysis.pass_kernels import BLOCK, kernel_plan, schedule_iterations
from risk_analysis.uncertainty import SimulationModel, build_model
from schedules.model import (
    Activity,
    ActivityStatus,
    Calendar,
    Project,
    Relationship,
    RelationshipType,
)
from schedules.mspdi import read_mspdi
from schedules.xer import read_xer
from tests.risk_analysis.conftest import DAY, FIVE_BY_EIGHT, ProjectFactory

TaskFactory = Callable[..., Activity]

# Not a multiple of the block, so the last block is a partial one.
ITERATIONS = 3 * BLOCK + 17
SIX_DAYS = Calendar(
    id="6x8", name="6 x 8", hours_per_day=8, hours_per_week=48, week=(DAY,) * 6 + ((),)
)


def assert_same_bits(model: SimulationModel, seed: int = 7) -> None:
    durations = _sample_durations(model, np.random.default_rng(seed), ITERATIONS)
    limit = model.critical_threshold_hours + model.critical_tolerance_hours

    finish, counts = schedule_iterations(model.network.plan, durations, limit)
    expected_finish, expected_counts = _schedule_without_kernels(
        model.network.plan, durations, limit
    )

    assert finish.dtype == expected_finish.dtype == np.float32
    assert finish.tobytes() == expected_finish.tobytes()
    assert np.array_equal(counts, expected_counts)


# Constrained tasks of the mixed network: id, hours, constraint, date, calendar.
CONSTRAINED = (
    ("E", 6, "mandatory_start", datetime(2024, 1, 15, 8), FIVE_BY_EIGHT),
    ("F", 30, "finish_on_or_before", datetime(2024, 2, 1, 17), SIX_DAYS),
    ("G", 10, "mandatory_finish", datetime(2024, 2, 20, 17), FIVE_BY_EIGHT),
    ("H", 8, "start_on_or_after", datetime(2024, 1, 10, 8), SIX_DAYS),
    ("I", 4, "finish_on_or_after", datetime(2024, 1, 25, 17), FIVE_BY_EIGHT),
    ("J", 4, "start_on_or_before", datetime(2024, 1, 8, 8), SIX_DAYS),
)


def mixed_project(make_task: TaskFactory, make_project: ProjectFactory) -> Project:
    """Every link type with lags, two calendars, progress and mandatory dates."""
    completed = make_task(
        "A", 16, status=ActivityStatus.COMPLETED, remaining_duration_hours=0.0,
        actual_start=datetime(2024, 1, 1, 8), actual_finish=datetime(2024, 1, 2, 17),
    )  # fmt: skip
    started = make_task(
        "B", 40, status=ActivityStatus.IN_PROGRESS, remaining_duration_hours=24.0,
        actual_start=datetime(2024, 1, 2, 8), calendar_id=SIX_DAYS.id,
    )  # fmt: skip
    constrained = tuple(
        make_task(code, hours, constraint_type=kind, constraint_date=when, calendar_id=on.id)
        for code, hours, kind, when, on in CONSTRAINED
    )
    activities: tuple[Activity, ...] = (
        completed,
        started,
        make_task("C", 12, calendar_id=SIX_DAYS.id),
        make_task("D", 20),
        *constrained,
    )
    links = (
        Relationship("A", "B"),
        Relationship("B", "C", RelationshipType.SS, 4.0),
        Relationship("B", "D", RelationshipType.FF, 8.0),
        Relationship("C", "E", RelationshipType.SF, 12.0),
        Relationship("D", "F", RelationshipType.FS, -4.0),
        Relationship("C", "F", RelationshipType.FS, 2.5),
        Relationship("E", "G"),
        Relationship("F", "G", RelationshipType.FF),
        Relationship("H", "G", RelationshipType.SS, 16.0),
        Relationship("D", "I"),
        Relationship("J", "I", RelationshipType.SF, 8.0),
    )
    return make_project(
        activities, links, data_date=datetime(2024, 1, 3, 8),
        calendars=(FIVE_BY_EIGHT, SIX_DAYS),
    )  # fmt: skip


def test_kernels_equal_numpy_on_the_textbook_network(textbook: Project) -> None:
    model = build_model(textbook, schedule_uncertainty=0.3, budget_uncertainty=0.1)

    assert_same_bits(model)


def test_kernels_equal_numpy_on_a_mixed_network(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = mixed_project(make_task, make_project)
    model = build_model(project, schedule_uncertainty=0.5, budget_uncertainty=0.1)

    flat = kernel_plan(model.network.plan)

    assert flat.forward.conversion_grids.size > 0
    assert np.count_nonzero(flat.forward.fixed_kind) + np.count_nonzero(flat.backward.fixed_kind)
    assert flat.forward.has_limit.any()
    assert flat.backward.has_limit.any()
    for seed in range(5):
        assert_same_bits(model, seed)


def test_kernels_equal_numpy_without_calendars(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 5.0), make_task("B", 7.0), make_task("C", 3.0)),
        (Relationship("A", "C"), Relationship("B", "C", RelationshipType.SS, 2.0)),
        calendar=None,
    )
    model = build_model(project, schedule_uncertainty=0.4, budget_uncertainty=0.0)

    assert model.network.plan.calendars is None
    assert_same_bits(model)


def test_kernel_plan_is_built_once_per_plan(textbook: Project) -> None:
    model = build_model(textbook, schedule_uncertainty=0.3, budget_uncertainty=0.1)

    assert kernel_plan(model.network.plan) is kernel_plan(model.network.plan)


@pytest.mark.parametrize(
    "path",
    [
        "schedules/sp10-cost-loaded.xer",
        "mspdi/sample1-mspdi.xml",
        "mspdi/mspditimephased.xml",
        "mspdi/task-links-project2019-mspdi.xml",
    ],
    ids=["sp10-xer", "sample1-mspdi", "timephased-mspdi", "task-links-mspdi"],
)
def test_kernels_equal_numpy_on_real_schedules(shared_data: Path, path: str) -> None:
    data = (shared_data / path).read_bytes()
    project, _ = read_xer(data) if path.endswith(".xer") else read_mspdi(data)
    model = build_model(project, schedule_uncertainty=0.2, budget_uncertainty=0.1)

    assert model.network.size > 0
    assert_same_bits(model)


def test_prepare_kernels_leaves_the_passes_compiled() -> None:
    seconds = prepare_kernels()

    assert seconds > 0.0
    assert pass_kernels._schedule.signatures
    assert sensitivity._short_keys.signatures


def test_kernels_equal_numpy_with_float64_limit(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 8.0), make_task("B", 7.9), make_task("C", 1.0)),
        (Relationship("A", "C"), Relationship("B", "C")),
        calendar=None,
    )
    model = build_model(project, schedule_uncertainty=0.0, budget_uncertainty=0.0)
    durations = np.array([[8.0], [7.9], [1.0]], dtype=np.float32)
    # B's float32 total float, less an amount that float32 cannot hold at this size.
    limit = np.float64(np.float32(8.0) - np.float32(7.9)) - 1e-12

    _, counts = schedule_iterations(model.network.plan, durations, limit)
    _, expected_counts = _schedule_without_kernels(model.network.plan, durations, limit)

    assert counts.tolist() == [1, 1, 1]
    assert expected_counts.tolist() == [1, 1, 1]
