from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any

import pytest

from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    Project,
    Relationship,
    RelationshipType,
    WorkInterval,
)
from schedules.quality import dcma_checks

DAY = (WorkInterval(time(8), time(16)),)
CALENDAR = Calendar("cal", "5 x 8", 8.0, 40.0, (DAY,) * 5 + ((), ()))
DATA_DATE = datetime(2024, 10, 1)


def activity(code: str, week: int, **fields: Any) -> Activity:
    """Return a not-started 40-hour task planned for week ``week`` after the data date."""
    start = datetime(2024, 10, 7, 8) + timedelta(weeks=week)
    finish = datetime(2024, 10, 11, 16) + timedelta(weeks=week)
    values: dict[str, Any] = {
        "id": code,
        "code": code,
        "name": f"Activity {code}",
        "type": ActivityType.TASK,
        "status": ActivityStatus.NOT_STARTED,
        "calendar_id": "cal",
        "original_duration_hours": 40.0,
        "remaining_duration_hours": 40.0,
        "planned_start": start,
        "planned_finish": finish,
        "early_start": start,
        "early_finish": finish,
        "total_float_hours": 0.0,
        "budgeted_cost": 1000.0,
    }
    values.update(fields)
    return Activity(**values)


def clean_project() -> Project:
    """A start milestone finished on plan, a chain of three tasks and a finish milestone."""
    start = activity(
        "M0",
        -1,
        type=ActivityType.START_MILESTONE,
        status=ActivityStatus.COMPLETED,
        original_duration_hours=0.0,
        remaining_duration_hours=0.0,
        planned_start=datetime(2024, 9, 30, 8),
        planned_finish=datetime(2024, 9, 30, 8),
        actual_start=datetime(2024, 9, 30, 8),
        actual_finish=datetime(2024, 9, 30, 8),
        budgeted_cost=0.0,
    )
    finish = activity(
        "M9",
        2,
        type=ActivityType.FINISH_MILESTONE,
        original_duration_hours=0.0,
        remaining_duration_hours=0.0,
        budgeted_cost=0.0,
    )
    tasks = [activity(f"T{week}", week) for week in range(3)]
    chain = [start, *tasks, finish]
    links = [Relationship(a.id, b.id) for a, b in pairwise(chain)]
    return Project(
        source_id="p1",
        name="Footbridge",
        currency="GBP",
        data_date=DATA_DATE,
        source_format="json",
        default_calendar_id="cal",
        calendars=(CALENDAR,),
        activities=tuple(chain),
        relationships=tuple(links),
    )


def change_activity(project: Project, code: str, **fields: Any) -> Project:
    activities = tuple(replace(a, **fields) if a.code == code else a for a in project.activities)
    return replace(project, activities=activities)


def change_link(project: Project, successor: str, **fields: Any) -> Project:
    links = tuple(
        replace(r, **fields) if r.successor_id == successor else r for r in project.relationships
    )
    return replace(project, relationships=links)


def test_dcma_clean_project_passes() -> None:
    warnings = dcma_checks(clean_project())

    assert warnings == []


CASES: list[tuple[str, Callable[[Project], Project], str, tuple[str, ...]]] = [
    (
        "logic",
        lambda p: replace(p, relationships=p.relationships[:2]),
        "dcma_logic",
        ("T1", "T2", "M9"),
    ),
    ("leads", lambda p: change_link(p, "T1", lag_hours=-8.0), "dcma_leads", ("T1",)),
    ("lags", lambda p: change_link(p, "T1", lag_hours=8.0), "dcma_lags", ("T1",)),
    (
        "relationship-types",
        lambda p: change_link(p, "T2", type=RelationshipType.SS),
        "dcma_relationship_types",
        ("T2",),
    ),
    (
        "hard-constraints",
        lambda p: change_activity(p, "T1", constraint_type="finish_on"),
        "dcma_hard_constraints",
        ("T1",),
    ),
    (
        "high-float",
        lambda p: change_activity(p, "T2", total_float_hours=44 * 8 + 1),
        "dcma_high_float",
        ("T2",),
    ),
    (
        "negative-float",
        lambda p: change_activity(p, "T0", total_float_hours=-8.0),
        "dcma_negative_float",
        ("T0",),
    ),
    (
        "high-duration",
        lambda p: change_activity(p, "T1", remaining_duration_hours=44 * 8 + 1),
        "dcma_high_duration",
        ("T1",),
    ),
    (
        "actual-after-data-date",
        lambda p: change_activity(
            p, "T0", status=ActivityStatus.IN_PROGRESS, actual_start=datetime(2024, 10, 7, 8)
        ),
        "dcma_invalid_dates",
        ("T0",),
    ),
    (
        "forecast-before-data-date",
        lambda p: change_activity(p, "T0", early_start=datetime(2024, 9, 27, 8)),
        "dcma_invalid_dates",
        ("T0",),
    ),
    (
        "resources",
        lambda p: change_activity(p, "T2", budgeted_cost=0.0),
        "dcma_resources",
        ("T2",),
    ),
]


@pytest.mark.parametrize(
    ("change", "code", "codes"),
    [pytest.param(change, code, codes, id=name) for name, change, code, codes in CASES],
)
def test_dcma_check_fails(
    change: Callable[[Project], Project], code: str, codes: tuple[str, ...]
) -> None:
    project = change(clean_project())

    warnings = dcma_checks(project)

    assert [w.code for w in warnings] == [code]
    assert warnings[0].activity_codes == codes
    assert warnings[0].message.startswith("DCMA ")


def test_dcma_logic_message_states_share() -> None:
    project = replace(clean_project(), relationships=clean_project().relationships[:2])

    (warning,) = dcma_checks(project)

    assert "3 of 4 (75.0%), against a threshold of under 5%" in warning.message


def test_dcma_missed_tasks_against_planned_dates() -> None:
    project = change_activity(clean_project(), "T0", planned_finish=datetime(2024, 9, 30, 16))

    warnings = dcma_checks(project)

    assert [w.code for w in warnings] == ["dcma_missed_tasks", "dcma_bei"]
    assert "no separate baseline" in warnings[0].message
    assert "1 of 2 (50.0%)" in warnings[0].message
    assert "1 activities completed against 2 due" in warnings[1].message
    assert "an index of 0.50" in warnings[1].message
    assert warnings[1].activity_codes == ("T0",)


def test_dcma_missed_tasks_uses_baseline() -> None:
    project = change_activity(
        clean_project(),
        "M0",
        baseline_finish=datetime(2024, 9, 27, 8),
    )

    warnings = dcma_checks(project)

    assert [w.code for w in warnings] == ["dcma_missed_tasks"]
    assert "baseline finish" in warnings[0].message
    assert "no separate baseline" not in warnings[0].message
    assert warnings[0].activity_codes == ("M0",)


def test_dcma_ignores_completed_and_summaries() -> None:
    project = change_activity(
        clean_project(), "T1", type=ActivityType.LEVEL_OF_EFFORT, total_float_hours=-80.0
    )

    warnings = dcma_checks(project)

    assert warnings == []
