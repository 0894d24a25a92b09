from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import pytest

from schedules.errors import InvalidProjectError
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    Project,
    Relationship,
    Resource,
    WorkInterval,
)
from schedules.validation import check_contents, replace_idle_calendars, validate_project

DAY = (WorkInterval(time(8), time(16)),)
WORKING = Calendar("work", "5 x 8", 8.0, 40.0, (DAY,) * 5 + ((), ()))
IDLE = Calendar("idle", "Nothing", 8.0, 0.0, ((),) * 7)
# A zero-length period is no working time either.
EMPTY_PERIODS = Calendar(
    "empty", "08:00-08:00", 8.0, 0.0, ((WorkInterval(time(8), time(8)),),) * 7
)


def activity(code: str, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "id": code,
        "code": code,
        "name": code,
        "type": ActivityType.TASK,
        "status": ActivityStatus.NOT_STARTED,
        "calendar_id": "work",
    }
    values.update(fields)
    return Activity(**values)


def project(activities: Sequence[Activity], **fields: Any) -> Project:
    values: dict[str, Any] = {
        "source_id": "p1",
        "name": "Footbridge",
        "currency": "GBP",
        "data_date": datetime(2024, 10, 1),
        "source_format": "xer",
        "default_calendar_id": "work",
        "calendars": (WORKING,),
        "activities": tuple(activities),
    }
    values.update(fields)
    return Project(**values)


def contents_rejected(candidate: Project) -> bool:
    """Return whether check_contents rejects the project."""
    try:
        check_contents(candidate)
    except InvalidProjectError:
        return True
    return False


def test_check_contents_accepts_plain_project() -> None:
    plain = project([activity("A100"), activity("A110")])

    assert not contents_rejected(plain)


def test_check_contents_rejects_no_activities() -> None:
    with pytest.raises(InvalidProjectError) as caught:
        check_contents(project([]))

    assert caught.value.code == "invalid_project"
    assert caught.value.detail.startswith("the file contains no activities")


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        pytest.param(("1", "1", "2"), "2 activities share the id '1' (codes A0, A1)", id="same"),
        pytest.param(("", "", "2"), "2 activities have no id (codes A0, A1)", id="empty"),
        pytest.param(
            ("1", "1", "2", "2"), "(codes A0, A1); 1 more ids repeat", id="several-repeat"
        ),
    ],
)
def test_check_contents_rejects_repeated_ids(ids: tuple[str, ...], expected: str) -> None:
    activities = [activity(f"A{index}", id=value) for index, value in enumerate(ids)]

    with pytest.raises(InvalidProjectError) as caught:
        check_contents(project(activities))

    assert expected in caught.value.detail
    assert "the P6 task_id or the Microsoft Project UID" in caught.value.detail


@pytest.mark.parametrize(
    "data_date",
    [
        pytest.param(datetime(1950, 1, 1), id="first-plausible-day"),
        pytest.param(datetime(2150, 12, 31, 23, 59), id="last-plausible-minute"),
    ],
)
def test_check_contents_accepts_edge_data_date(data_date: datetime) -> None:
    candidate = project([activity("A100")], data_date=data_date)

    assert not contents_rejected(candidate)


@pytest.mark.parametrize(
    ("data_date", "shown"),
    [
        pytest.param(datetime(1949, 12, 31, 23, 59), "1949-12-31 23:59", id="before-1950"),
        pytest.param(datetime(2151, 1, 1), "2151-01-01 00:00", id="after-2150"),
        pytest.param(datetime(1, 1, 1), "0001-01-01 00:00", id="year-1"),
    ],
)
def test_check_contents_rejects_far_data_date(data_date: datetime, shown: str) -> None:
    candidate = project([activity("A100")], data_date=data_date, source_format="json")

    with pytest.raises(InvalidProjectError) as caught:
        check_contents(candidate)

    assert f"the data date {shown} is outside the years 1950 to 2150" in caught.value.detail
    assert "set $.project.data_date to the date" in caught.value.detail


def test_replace_idle_calendars_keeps_working_ones() -> None:
    plain = project([activity("A100")])

    assert replace_idle_calendars(plain) == (plain, [])


def test_replace_idle_calendars_moves_activities_to_default() -> None:
    resource = Resource("R1", "Crane", calendar_id="idle")
    candidate = project(
        [activity("A100"), activity("A110", calendar_id="idle")],
        calendars=(WORKING, IDLE, EMPTY_PERIODS),
        resources=(resource,),
    )

    replaced, warnings = replace_idle_calendars(candidate)

    assert replaced.calendars == (WORKING,)
    assert [a.calendar_id for a in replaced.activities] == ["work", "work"]
    assert replaced.resources[0].calendar_id == "work"
    assert [warning.code for warning in warnings] == ["calendar_without_working_time"]
    assert "2 calendars have no working time (idle (Nothing), empty" in warnings[0].message
    assert warnings[0].activity_codes == ("A110",)


def test_replace_idle_calendars_replaces_idle_default() -> None:
    night = Calendar("night", "Nights", 8.0, 40.0, WORKING.week)
    candidate = project(
        [activity("A100", calendar_id="idle"), activity("A110", calendar_id="night")],
        calendars=(IDLE, WORKING, night),
        default_calendar_id="idle",
    )

    replaced, warnings = replace_idle_calendars(candidate)

    assert replaced.default_calendar_id == "night"
    assert [a.calendar_id for a in replaced.activities] == ["night", "night"]
    assert [warning.code for warning in warnings] == [
        "default_calendar_replaced",
        "calendar_without_working_time",
    ]


def test_replace_idle_calendars_keeps_exception_work() -> None:
    shutdown_work = Calendar("shut", "Shutdown", 8.0, 0.0, IDLE.week, {date(2024, 12, 27): DAY})
    candidate = project([activity("A100", calendar_id="shut")], calendars=(shutdown_work,))

    assert replace_idle_calendars(candidate) == (candidate, [])


def test_replace_idle_calendars_rejects_when_none_works() -> None:
    candidate = project([activity("A100", calendar_id="idle")], calendars=(IDLE,))

    with pytest.raises(InvalidProjectError) as caught:
        replace_idle_calendars(candidate)

    assert "none of the file's calendars has any working time (idle (Nothing))" in (
        caught.value.detail
    )


def test_validate_project_rejects_cycle() -> None:
    candidate = project(
        [activity("A100"), activity("A110")],
        relationships=(Relationship("A100", "A110"), Relationship("A110", "A100")),
    )

    with pytest.raises(InvalidProjectError) as caught:
        validate_project(candidate)

    assert "A100 -> A110 -> A100" in caught.value.detail
