from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import pytest

from risk_analysis.cpm import ActivitySchedule, schedule_project
from schedules.constraints import ConstraintType
from schedules.model import Activity, ActivityStatus, Project, Relationship

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]


def by_code(project: Project) -> dict[str, ActivitySchedule]:
    return {s.code: s for s in schedule_project(project).schedules()}


def constrained(
    make_task: TaskFactory, code: str, hours: float, kind: ConstraintType, moment: datetime
) -> Activity:
    return make_task(code, hours, constraint_type=kind.value, constraint_date=moment)


@pytest.mark.parametrize(
    ("kind", "moment", "start"),
    [
        (ConstraintType.START_ON_OR_AFTER, datetime(2024, 1, 3, 8), datetime(2024, 1, 3, 8)),
        (ConstraintType.START_ON, datetime(2024, 1, 3, 13), datetime(2024, 1, 3, 13)),
        (ConstraintType.FINISH_ON_OR_AFTER, datetime(2024, 1, 10, 17), datetime(2024, 1, 10, 8)),
        (ConstraintType.FINISH_ON, datetime(2024, 1, 10, 17), datetime(2024, 1, 10, 8)),
        (ConstraintType.START_ON_OR_BEFORE, datetime(2024, 1, 3, 8), datetime(2024, 1, 1, 8)),
    ],
    ids=["start-on-or-after", "start-on", "finish-on-or-after", "finish-on", "start-on-or-before"],
)
def test_constraint_bounds_the_early_start(
    make_task: TaskFactory,
    make_project: ProjectFactory,
    kind: ConstraintType,
    moment: datetime,
    start: datetime,
) -> None:
    project = make_project((constrained(make_task, "A", 8, kind, moment),))

    schedules = by_code(project)

    assert schedules["A"].early_start == start


def test_logic_wins_over_a_start_on_constraint(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 40),
            constrained(make_task, "B", 8, ConstraintType.START_ON, datetime(2024, 1, 3, 8)),
        ),
        (Relationship("A", "B"),),
    )

    schedules = by_code(project)

    # B cannot start before A ends on Friday, two days after its date: float turns negative.
    assert schedules["B"].early_start == datetime(2024, 1, 8, 8)
    assert schedules["B"].total_float_hours == -24.0


def test_finish_on_or_before_makes_float_negative(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            constrained(
                make_task, "A", 16, ConstraintType.FINISH_ON_OR_BEFORE, datetime(2024, 1, 1, 17)
            ),
        )
    )

    schedules = by_code(project)

    assert schedules["A"].late_finish == datetime(2024, 1, 1, 17)
    assert schedules["A"].total_float_hours == -8.0
    assert schedules["A"].critical


def test_mandatory_start_overrides_logic(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 40),
            constrained(
                make_task, "B", 8, ConstraintType.MANDATORY_START, datetime(2024, 1, 3, 8)
            ),
        ),
        (Relationship("A", "B"),),
    )

    schedules = by_code(project)

    assert schedules["B"].early_start == datetime(2024, 1, 3, 8)
    assert schedules["B"].late_start == datetime(2024, 1, 3, 8)


def test_as_late_as_possible_uses_free_float(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 8, constraint_type=ConstraintType.AS_LATE_AS_POSSIBLE.value),
            make_task("B", 40),
            make_task("C", 8),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    result = schedule_project(project)

    schedules = {s.code: s for s in result.schedules()}
    assert schedules["A"].early_start == datetime(2024, 1, 5, 8)
    assert schedules["A"].total_float_hours == 0.0
    assert schedules["A"].free_float_hours == 0.0
    assert result.project_finish == datetime(2024, 1, 8, 17)


def test_constraints_of_started_work_leave_its_start_alone(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task(
                "A", 16, status=ActivityStatus.IN_PROGRESS, remaining_duration_hours=8.0,
                actual_start=datetime(2023, 12, 29, 8),
                constraint_type=ConstraintType.START_ON_OR_AFTER.value,
                constraint_date=datetime(2024, 1, 3, 8),
            ),
        )
    )  # fmt: skip

    schedules = by_code(project)

    assert schedules["A"].early_start == datetime(2023, 12, 29, 8)
    assert schedules["A"].early_finish == datetime(2024, 1, 1, 17)


def test_constraint_without_date_is_reported(
    make_task: TaskFactory, make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    undated = make_task("A", 8, constraint_type=ConstraintType.START_ON_OR_AFTER.value)

    with caplog.at_level(logging.WARNING, logger="risk_analysis.date_constraints"):
        schedule_project(make_project((undated,)))

    assert "of an unknown type or without a date" in caplog.text
    assert "'start_on_or_after': 1" in caplog.text
