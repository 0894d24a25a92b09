"""Projects shared by the risk analysis tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time
from typing import Any

import pytest

from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    Distribution,
    Project,
    Relationship,
    ThreePointEstimate,
    WorkInterval,
)

HOURS_PER_WEEK = 40.0
DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
FIVE_BY_EIGHT = Calendar(
    id="5x8", name="5 x 8", hours_per_day=8, hours_per_week=40, week=(DAY,) * 5 + ((), ())
)

# The textbook PERT network: (optimistic, most likely, pessimistic) weeks and predecessors.
TEXTBOOK = {
    "A": (1.0, 2.0, 3.0, ()),
    "B": (2.0, 3.0, 4.0, ()),
    "C": (1.0, 2.0, 3.0, ("A",)),
    "D": (2.0, 4.0, 6.0, ("B",)),
    "E": (1.0, 4.0, 7.0, ("C",)),
    "F": (1.0, 2.0, 9.0, ("C",)),
    "G": (3.0, 4.0, 11.0, ("D", "E")),
    "H": (1.0, 2.0, 3.0, ("F", "G")),
}

ProjectFactory = Callable[..., Project]


def task(activity_id: str, hours: float, **fields: Any) -> Activity:
    """Return a not-started task of ``hours`` working hours, with ``fields`` replaced."""
    activity = Activity(
        id=activity_id,
        code=activity_id,
        name=f"activity {activity_id}",
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        original_duration_hours=hours,
        remaining_duration_hours=hours,
    )
    return replace(activity, **fields)


def project_of(
    activities: tuple[Activity, ...],
    relationships: tuple[Relationship, ...] = (),
    *,
    data_date: datetime = datetime(2024, 1, 1, 8),
    calendar: Calendar | None = FIVE_BY_EIGHT,
    **fields: Any,
) -> Project:
    """Return a project on the 5 x 8 calendar (or none) with these activities and links."""
    project = Project(
        source_id="test",
        name="test project",
        currency="EUR",
        data_date=data_date,
        source_format="json",
        default_calendar_id=None if calendar is None else calendar.id,
        calendars=() if calendar is None else (calendar,),
        activities=activities,
        relationships=relationships,
    )
    return replace(project, **fields)


def textbook_project(distribution: Distribution = Distribution.PERT) -> Project:
    """Return the textbook network in hours (1 week = 40 h) with PERT-mean durations."""
    activities: list[Activity] = []
    relationships: list[Relationship] = []
    for code, (low, mode, high, predecessors) in TEXTBOOK.items():
        mean = (low + 4 * mode + high) / 6 * HOURS_PER_WEEK
        estimate = ThreePointEstimate(
            low * HOURS_PER_WEEK, mode * HOURS_PER_WEEK, high * HOURS_PER_WEEK, distribution
        )
        activities.append(task(code, mean, duration_estimate=estimate, budgeted_cost=1000.0,
                               remaining_cost=1000.0))  # fmt: skip
        relationships.extend(Relationship(pred, code) for pred in predecessors)
    return project_of(tuple(activities), tuple(relationships))


@pytest.fixture
def make_task() -> Callable[..., Activity]:
    return task


@pytest.fixture
def make_project() -> ProjectFactory:
    return project_of


@pytest.fixture
def make_textbook() -> Callable[[Distribution], Project]:
    return textbook_project


@pytest.fixture
def textbook() -> Project:
    return textbook_project()
