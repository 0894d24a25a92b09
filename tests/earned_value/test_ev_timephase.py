"""Time-phased budget on hand-built calendars where PV can be counted by hand."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest

from earned_value.errors import InvalidFigureError
from earned_value.timephase import DateSource, MonthlyValue, plan_window, time_phase
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    Project,
    WorkInterval,
)

DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
LONG_DAY = (WorkInterval(time(7), time(17)),)
NEW_YEAR_WEEK_HOLIDAY = date(2024, 1, 3)  # a Wednesday


def five_day_calendar(holidays: tuple[date, ...] = ()) -> Calendar:
    return Calendar(
        id="5x8",
        name="five days of eight hours",
        hours_per_day=8,
        hours_per_week=40,
        week=(DAY, DAY, DAY, DAY, DAY, (), ()),
        exceptions={holiday: () for holiday in holidays},
    )


def seven_day_calendar() -> Calendar:
    return Calendar(
        id="7x10",
        name="seven days of ten hours",
        hours_per_day=10,
        hours_per_week=70,
        week=(LONG_DAY,) * 7,
    )


def task(code: str, budget: float, **dates: datetime | None) -> Activity:
    return Activity(
        id=code,
        code=code,
        name=f"task {code}",
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        calendar_id="5x8",
        budgeted_cost=budget,
        **dates,  # type: ignore[arg-type]
    )


def project(*activities: Activity, default_calendar: str | None = "5x8") -> Project:
    return Project(
        source_id="p1",
        name="hand-built",
        currency="GBP",
        data_date=datetime(2024, 1, 4, 12),
        source_format="json",
        planned_start=datetime(2024, 1, 1, 8),
        planned_finish=datetime(2024, 1, 5, 17),
        default_calendar_id=default_calendar,
        calendars=(five_day_calendar((NEW_YEAR_WEEK_HOLIDAY,)), seven_day_calendar()),
        activities=activities,
    )


WEEK_TASK = task(
    "A100", 8_000, planned_start=datetime(2024, 1, 1, 8), planned_finish=datetime(2024, 1, 5, 17)
)


@pytest.mark.parametrize(
    ("instant", "pv"),
    [
        pytest.param(datetime(2023, 12, 29, 17), 0, id="before-start"),
        pytest.param(datetime(2024, 1, 1, 12, 30), 1_000, id="monday-lunch"),
        pytest.param(datetime(2024, 1, 2, 17), 4_000, id="tuesday-evening"),
        pytest.param(datetime(2024, 1, 3, 15), 4_000, id="wednesday-holiday"),
        pytest.param(datetime(2024, 1, 4, 12), 5_000, id="thursday-noon"),
        pytest.param(datetime(2024, 1, 6, 9), 8_000, id="saturday-after"),
    ],
)
def test_pv_accrues_over_working_hours(instant: datetime, pv: float) -> None:
    # 32 working hours (Wednesday is a holiday), so 250 per hour.
    budget = time_phase(project(WEEK_TASK))

    value = budget.planned_value_at(instant)

    assert value == pytest.approx(pv, abs=1e-9)


def test_pv_sums_activities_on_different_calendars() -> None:
    daily = Activity(
        id="B200",
        code="B200",
        name="seven-day task",
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        calendar_id="7x10",
        budgeted_cost=7_000,
        planned_start=datetime(2024, 1, 1, 7),
        planned_finish=datetime(2024, 1, 7, 17),
    )
    budget = time_phase(project(WEEK_TASK, daily))

    value = budget.planned_value_at(datetime(2024, 1, 4, 12))

    # A100: 20 of 32 hours. B200: 35 of 70 hours, the holiday being on the other calendar.
    assert value == pytest.approx(5_000 + 3_500)


def test_pv_vectorised_matches_single_instants() -> None:
    budget = time_phase(project(WEEK_TASK))
    instants = [datetime(2024, 1, 1) + timedelta(hours=hours) for hours in range(0, 150, 7)]

    values = budget.planned_values_at(instants)

    assert values.tolist() == [budget.planned_value_at(instant) for instant in instants]


@pytest.mark.parametrize(
    ("kind", "dates"),
    [
        pytest.param(
            ActivityType.FINISH_MILESTONE,
            {"planned_finish": datetime(2024, 1, 4, 17)},
            id="finish-milestone",
        ),
        pytest.param(
            ActivityType.START_MILESTONE,
            {"planned_start": datetime(2024, 1, 4, 17), "planned_finish": datetime(2024, 1, 9)},
            id="start-milestone",
        ),
    ],
)
def test_milestone_cost_lands_at_its_date(kind: ActivityType, dates: dict[str, datetime]) -> None:
    milestone = Activity(
        id="M1",
        code="M1",
        name="handover",
        type=kind,
        status=ActivityStatus.NOT_STARTED,
        calendar_id="5x8",
        budgeted_cost=1_000,
        **dates,  # type: ignore[arg-type]
    )
    budget = time_phase(project(milestone))

    before = budget.planned_value_at(datetime(2024, 1, 4, 16, 59))
    at = budget.planned_value_at(datetime(2024, 1, 4, 17))

    assert before == 0
    assert at == 1_000
    assert budget.activities[0].start == budget.activities[0].finish


def test_work_on_non_working_days_lands_at_finish() -> None:
    weekend = task(
        "W1", 600, planned_start=datetime(2024, 1, 6, 8), planned_finish=datetime(2024, 1, 7, 17)
    )
    budget = time_phase(project(weekend))

    during = budget.planned_value_at(datetime(2024, 1, 7, 12))
    after = budget.planned_value_at(datetime(2024, 1, 7, 17))

    assert during == 0
    assert after == 600


def test_missing_planned_dates_fall_back_to_early_dates() -> None:
    # The import drops absurd planned dates (year 4637), leaving the early dates.
    late = task(
        "F1",
        4_000,
        planned_start=datetime(2024, 1, 1, 8),
        planned_finish=None,
        early_start=datetime(2024, 1, 8, 8),
        early_finish=datetime(2024, 1, 12, 17),
    )
    budget = time_phase(project(late))

    value = budget.planned_value_at(datetime(2024, 1, 9, 17))

    assert budget.activities[0].date_source is DateSource.EARLY
    assert value == pytest.approx(4_000 * 16 / 40)


def test_out_of_range_dates_fall_back() -> None:
    absurd = task(
        "F2",
        4_000,
        planned_start=datetime(2024, 1, 1, 8),
        planned_finish=datetime(4637, 1, 1),
        early_start=datetime(2024, 1, 8, 8),
        early_finish=datetime(2024, 1, 12, 17),
    )

    budget = time_phase(project(absurd))

    assert budget.activities[0].date_source is DateSource.EARLY
    assert budget.activities[0].finish == datetime(2024, 1, 12, 17)


@pytest.mark.parametrize(
    ("actual_finish", "early_finish", "finish"),
    [
        pytest.param(datetime(2024, 1, 10, 17), None, datetime(2024, 1, 10, 17), id="finished"),
        pytest.param(None, datetime(2024, 1, 11, 17), datetime(2024, 1, 11, 17), id="running"),
    ],
)
def test_actual_dates_are_the_last_fallback(
    actual_finish: datetime | None, early_finish: datetime | None, finish: datetime
) -> None:
    started = task(
        "F3",
        1_000,
        actual_start=datetime(2024, 1, 8, 8),
        actual_finish=actual_finish,
        early_finish=early_finish,
    )

    budget = time_phase(project(started))

    assert budget.activities[0].date_source is DateSource.ACTUAL
    assert budget.activities[0].start == datetime(2024, 1, 8, 8)
    assert budget.activities[0].finish == finish


def test_started_activity_prefers_actual_to_early() -> None:
    # P6 moves a started activity's early start to the data date, so the early dates would
    # put work already done into the future.
    started = task(
        "F4",
        3_000,
        planned_start=datetime(2024, 1, 1, 8),
        planned_finish=None,
        early_start=datetime(2024, 1, 15, 8),
        early_finish=datetime(2024, 1, 19, 17),
        actual_start=datetime(2024, 1, 8, 8),
    )

    budget = time_phase(project(started))

    assert budget.activities[0].date_source is DateSource.ACTUAL
    assert budget.activities[0].start == datetime(2024, 1, 8, 8)
    assert budget.activities[0].finish == datetime(2024, 1, 19, 17)
    assert budget.planned_value_at(datetime(2024, 1, 12, 17)) == pytest.approx(1_500)


def test_budget_without_dates_is_excluded_and_reported() -> None:
    undated = task("X1", 5_000)
    reversed_dates = task(
        "X2", 700, planned_start=datetime(2024, 1, 5), planned_finish=datetime(2024, 1, 1)
    )
    budget = time_phase(project(WEEK_TASK, undated, reversed_dates))

    codes = [item.code for item in budget.excluded]

    assert codes == ["X1", "X2"]
    assert budget.excluded_budget == 5_700
    assert budget.total == 8_000
    assert budget.planned_value_at(datetime(2024, 2, 1)) == 8_000
    assert "no planned, early or actual dates" in budget.excluded[0].reason


def test_activities_without_budget_are_skipped() -> None:
    free = task("Z1", 0, planned_start=datetime(2024, 1, 1, 8))

    budget = time_phase(project(free, WEEK_TASK))

    assert [item.code for item in budget.activities] == ["A100"]
    assert budget.excluded == ()


def test_missing_calendar_uses_project_default() -> None:
    stray = Activity(
        id="C1",
        code="C1",
        name="stray calendar",
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        calendar_id="gone",
        budgeted_cost=8_000,
        planned_start=datetime(2024, 1, 1, 8),
        planned_finish=datetime(2024, 1, 5, 17),
    )
    budget = time_phase(project(stray))

    value = budget.planned_value_at(datetime(2024, 1, 4, 12))

    assert budget.activities[0].calendar_id == "5x8"
    assert budget.calendar_fallbacks == ("C1",)
    assert value == 5_000


def test_no_usable_calendar_spreads_over_elapsed_time() -> None:
    stray = Activity(
        id="C2",
        code="C2",
        name="no calendar",
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        calendar_id=None,
        budgeted_cost=4_800,
        planned_start=datetime(2024, 1, 1),
        planned_finish=datetime(2024, 1, 3),
    )
    budget = time_phase(project(stray, default_calendar=None))

    value = budget.planned_value_at(datetime(2024, 1, 1, 12))

    assert budget.activities[0].calendar_id is None
    assert value == pytest.approx(1_200)


def test_nan_budget_is_rejected_with_activity_code() -> None:
    broken = task("N1", float("nan"), planned_start=datetime(2024, 1, 1, 8))

    with pytest.raises(InvalidFigureError, match="'N1'"):
        time_phase(project(broken))


def test_monthly_pv_at_month_ends() -> None:
    # 40 working hours from Monday 29 January to Friday 2 February, 24 of them in January.
    straddling = task(
        "M100",
        4_000,
        planned_start=datetime(2024, 1, 29, 8),
        planned_finish=datetime(2024, 2, 2, 17),
    )
    budget = time_phase(project(straddling))

    months = budget.monthly(datetime(2024, 1, 1, 8), datetime(2024, 3, 15))

    assert months == (
        MonthlyValue("2024-01", date(2024, 1, 31), pytest.approx(2_400)),  # type: ignore[arg-type]
        MonthlyValue("2024-02", date(2024, 2, 29), 4_000),
        MonthlyValue("2024-03", date(2024, 3, 31), 4_000),
    )


def test_plan_window_widens_to_phased_dates() -> None:
    early_bird = task(
        "E1", 100, planned_start=datetime(2023, 12, 4, 8), planned_finish=datetime(2024, 2, 9, 17)
    )
    budget = time_phase(project(early_bird))

    window = plan_window(project(early_bird), budget)

    assert window == (datetime(2023, 12, 4, 8), datetime(2024, 2, 9, 17))


def test_time_phasing_four_thousand_activities_sums_budget() -> None:
    calendars = tuple(
        Calendar(
            id=f"cal{index}",
            name=f"calendar {index}",
            hours_per_day=8,
            hours_per_week=40,
            week=(DAY, DAY, DAY, DAY, DAY, (), ()),
            exceptions={date(2018 + year, 12, 25): () for year in range(7)},
        )
        for index in range(6)
    )
    rng = np.random.default_rng(7)
    activities = []
    for index in range(4_000):
        start = datetime(2018, 1, 1, 8) + timedelta(days=int(rng.integers(0, 6 * 365)))
        activities.append(
            Activity(
                id=str(index),
                code=f"A{index}",
                name="work",
                type=ActivityType.TASK,
                status=ActivityStatus.NOT_STARTED,
                calendar_id=f"cal{index % 6}",
                budgeted_cost=1_000.0 if index % 44 == 0 else 0.0,
                planned_start=start,
                planned_finish=start + timedelta(days=int(rng.integers(1, 200))),
            )
        )
    big = Project(
        source_id="big",
        name="synthetic",
        currency="GBP",
        data_date=datetime(2020, 6, 1),
        source_format="json",
        planned_start=datetime(2018, 1, 1, 8),
        planned_finish=datetime(2024, 6, 28, 17),
        calendars=calendars,
        activities=tuple(activities),
    )

    budget = time_phase(big)
    window = plan_window(big, budget)
    assert window is not None
    months = budget.monthly(*window)

    assert len(budget.activities) == 91
    assert months[-1].value == pytest.approx(91_000)
