from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pytest

from schedules.model import Calendar, WorkInterval
from schedules.worktime import WorkingTime, WorkingTimeError

DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))


def five_day_calendar(holidays: tuple[date, ...] = ()) -> Calendar:
    return Calendar(
        id="standard",
        name="5 x 8",
        hours_per_day=8,
        hours_per_week=40,
        week=(DAY, DAY, DAY, DAY, DAY, (), ()),
        exceptions={holiday: () for holiday in holidays},
    )


def test_hours_between_counts_only_working_time() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 12, 31))

    # Monday 2024-01-01 08:00 to Monday 2024-01-08 08:00 is one working week.
    hours = working.hours_between(datetime(2024, 1, 1, 8), datetime(2024, 1, 8, 8))

    assert hours == 40.0


def test_hours_between_skips_lunch_and_holidays() -> None:
    working = WorkingTime(
        five_day_calendar((date(2024, 1, 2),)), date(2024, 1, 1), date(2024, 2, 1)
    )

    hours = working.hours_between(datetime(2024, 1, 1, 11), datetime(2024, 1, 3, 14))

    # Monday 11-12 and 13-17 (5 h), Tuesday holiday, Wednesday 8-12 and 13-14 (5 h).
    assert hours == 10.0


def test_hours_between_reversed_is_negative() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 2, 1))

    hours = working.hours_between(datetime(2024, 1, 2, 8), datetime(2024, 1, 1, 8))

    assert hours == -8.0


def test_add_hours_lands_on_end_of_working_day() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 2, 1))

    finish = working.add_hours(datetime(2024, 1, 1, 8), 16)

    assert finish == datetime(2024, 1, 2, 17)


def test_add_hours_crosses_weekend() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 2, 1))

    finish = working.add_hours(datetime(2024, 1, 5, 13), 6)

    # Friday 13-17 gives 4 h; the rest falls on Monday 8-10.
    assert finish == datetime(2024, 1, 8, 10)


def test_add_hours_beyond_table_grows_it() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 1, 31))

    finish = working.add_hours(datetime(2024, 1, 1, 8), 40 * 52 * 5)

    assert finish.year == 2028
    assert working.hours_between(datetime(2024, 1, 1, 8), finish) == 40 * 52 * 5


def test_cumulative_hours_is_vectorised_and_anchored() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 2, 1))
    instants = [datetime(2024, 1, 1), datetime(2024, 1, 1, 12), datetime(2023, 12, 29, 17)]

    hours = working.cumulative_hours(instants)

    np.testing.assert_allclose(hours, [0.0, 4.0, 0.0])
    assert working.origin == datetime(2024, 1, 1)


def test_calendar_without_working_time_is_rejected() -> None:
    idle = Calendar(id="idle", name="never", hours_per_day=0, hours_per_week=0, week=((),) * 7)

    with pytest.raises(WorkingTimeError, match="has no working time"):
        WorkingTime(idle, date(2024, 1, 1), date(2024, 2, 1))


def test_instants_past_supported_years_are_rejected() -> None:
    working = WorkingTime(five_day_calendar(), date(2024, 1, 1), date(2024, 2, 1))

    with pytest.raises(WorkingTimeError, match="outside the supported years"):
        working.hours_between(datetime(2024, 1, 1), datetime(4637, 11, 26))
