from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

import numpy as np
import pytest

from risk_analysis.calendars import build_calendar_set, tick_minutes
from risk_analysis.cpm import schedule_project
from risk_analysis.errors import NetworkError
from schedules.model import Activity, Calendar, Project, Relationship, WorkInterval

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]

DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
FIVE_DAYS = Calendar("5d", "5 x 8", 8, 40, (DAY,) * 5 + ((), ()))
SEVEN_DAYS = Calendar("7d", "7 x 8", 8, 56, (DAY,) * 7)
# 2024-01-01 is a Monday.
MONDAY = datetime(2024, 1, 1, 8)


def two_calendar_project(
    make_project: ProjectFactory, activities: tuple[Activity, ...], links: tuple[Relationship, ...]
) -> Project:
    return make_project(activities, links, calendar=FIVE_DAYS, calendars=(FIVE_DAYS, SEVEN_DAYS))


def test_tick_is_the_common_divisor_of_period_boundaries() -> None:
    odd = Calendar("odd", "odd", 8, 40, ((WorkInterval(time(7, 30), time(16, 15)),),) * 7)

    assert tick_minutes([FIVE_DAYS]) == 60
    assert tick_minutes([FIVE_DAYS, odd]) == 15


def test_calendar_set_counts_hours_from_data_date() -> None:
    calendars = build_calendar_set(
        [FIVE_DAYS, SEVEN_DAYS], MONDAY, date(2023, 12, 1), date(2024, 3, 1)
    )
    moments = [datetime(2024, 1, 5, 17), datetime(2024, 1, 6, 17), datetime(2023, 12, 29, 17)]

    five = calendars.working_hours(calendars.index_of["5d"], moments)
    seven = calendars.working_hours(calendars.index_of["7d"], moments)

    assert five.tolist() == [40.0, 40.0, 0.0]
    assert seven.tolist() == [40.0, 48.0, -16.0]


def test_calendar_map_picks_the_period_end_for_finishes() -> None:
    calendars = build_calendar_set([FIVE_DAYS], MONDAY, date(2023, 12, 1), date(2024, 3, 1))
    table = calendars.tables[0]

    finish = table.to_clock(np.array([40.0]), finish=True)
    start = table.to_clock(np.array([40.0]), finish=False)

    assert calendars.instants(finish) == [datetime(2024, 1, 5, 17)]
    assert calendars.instants(start) == [datetime(2024, 1, 8, 8)]


def test_calendar_map_works_in_float32() -> None:
    calendars = build_calendar_set(
        [FIVE_DAYS, SEVEN_DAYS], MONDAY, date(2023, 12, 1), date(2024, 3, 1)
    )
    link = calendars.link_map(calendars.index_of["5d"], calendars.index_of["7d"])

    mapped = link(np.array([4.0, 40.0, 41.5], dtype=np.float32), finish=True)

    # 4 h is Monday noon, 40 h Friday 17:00 (40 h on seven days too), 41.5 h Monday 09:30.
    assert mapped.dtype == np.float32
    assert mapped.tolist() == [4.0, 40.0, 57.5]


def test_calendar_set_rejects_a_calendar_without_work() -> None:
    idle = Calendar("idle", "never", 8, 0, ((),) * 7)

    with pytest.raises(NetworkError) as caught:
        build_calendar_set([idle], MONDAY, date(2024, 1, 1), date(2024, 2, 1))

    assert "'idle'" in str(caught.value)


def test_cpm_starts_a_seven_day_successor_on_saturday(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = two_calendar_project(
        make_project,
        (make_task("A", 40, calendar_id="5d"), make_task("B", 8, calendar_id="7d")),
        (Relationship("A", "B"),),
    )

    result = schedule_project(project)

    b = {s.code: s for s in result.schedules()}["B"]
    assert b.early_start == datetime(2024, 1, 6, 8)
    assert b.early_finish == datetime(2024, 1, 6, 17)
    assert result.project_finish == datetime(2024, 1, 6, 17)
    # On the five-day reference calendar Saturday adds no working hours.
    assert result.project_finish_hours == 40.0


def test_cpm_counts_a_lag_on_the_predecessor_calendar(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # A works Monday to Friday on seven days; its 16 h lag covers Saturday and Sunday.
    project = two_calendar_project(
        make_project,
        (make_task("A", 40, calendar_id="7d"), make_task("B", 8, calendar_id="5d")),
        (Relationship("A", "B", lag_hours=16.0),),
    )

    result = schedule_project(project)

    b = {s.code: s for s in result.schedules()}["B"]
    assert b.early_start == datetime(2024, 1, 8, 8)


def test_cpm_skips_calendar_holidays(make_task: TaskFactory, make_project: ProjectFactory) -> None:
    holiday = Calendar("5d", "5 x 8", 8, 40, FIVE_DAYS.week, exceptions={date(2024, 1, 3): ()})
    project = make_project((make_task("A", 24),), calendar=holiday)

    result = schedule_project(project)

    assert result.schedules()[0].early_finish == datetime(2024, 1, 4, 17)


def test_cpm_gives_float_in_the_activity_calendar(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # B (seven days) ends Tuesday; C waits for A until the next Monday, so B may slip from
    # Wednesday to Sunday: five days of eight hours on B's calendar.
    project = two_calendar_project(
        make_project,
        (
            make_task("A", 40, calendar_id="5d"),
            make_task("B", 16, calendar_id="7d"),
            make_task("C", 8, calendar_id="5d"),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    assert schedules["B"].total_float_hours == 40.0
    assert schedules["B"].free_float_hours == 40.0
    assert schedules["B"].late_finish == datetime(2024, 1, 7, 17)
    assert schedules["A"].total_float_hours == 0.0


def test_cpm_driving_path_crosses_calendars(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = two_calendar_project(
        make_project,
        (
            make_task("A", 40, calendar_id="5d"),
            make_task("B", 16, calendar_id="7d"),
            make_task("C", 8, calendar_id="7d"),
        ),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    result = schedule_project(project)

    assert result.driving_path() == ("A", "C")
