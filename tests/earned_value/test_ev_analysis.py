"""Whole-project earned value analysis on a hand-built project and on the real P6 file."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime, time
from itertools import pairwise
from pathlib import Path

import pytest

from earned_value import ActualsSource, EacMethod, InvalidFigureError, analyse
from schedules import import_schedule
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Calendar,
    MonthlyActual,
    Project,
    WorkInterval,
)
from schedules.xer import read_xer

DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
DATA_DATE = datetime(2024, 2, 15)
PLAN_START = datetime(2024, 1, 2, 8)
PLAN_FINISH = datetime(2024, 3, 29, 17)
# Working hours of task B200 (1 to 29 February 2024): 21 weekdays of 8 hours.
B200_HOURS = 21 * 8
# B200 hours by the data date: 1-2, 5-9 and 12-14 February.
B200_HOURS_DONE = 10 * 8


def calendar() -> Calendar:
    return Calendar(
        id="5x8",
        name="five days of eight hours",
        hours_per_day=8,
        hours_per_week=40,
        week=(DAY, DAY, DAY, DAY, DAY, (), ()),
        exceptions={date(2024, 1, 1): ()},
    )


def activity(code: str, budget: float, status: ActivityStatus, **fields: object) -> Activity:
    return Activity(
        id=f"id-{code}",
        code=code,
        name=f"task {code}",
        type=ActivityType.TASK,
        status=status,
        calendar_id="5x8",
        budgeted_cost=budget,
        **fields,  # type: ignore[arg-type]
    )


def small_project(**overrides: object) -> Project:
    activities = (
        activity(
            "A100",
            10_000,
            ActivityStatus.COMPLETED,
            planned_start=PLAN_START,
            planned_finish=datetime(2024, 1, 31, 17),
            actual_start=PLAN_START,
            actual_finish=datetime(2024, 1, 26, 17),
            actual_cost=9_000,
        ),
        activity(
            "B200",
            20_000,
            ActivityStatus.IN_PROGRESS,
            percent_complete=0.25,
            planned_start=datetime(2024, 2, 1, 8),
            planned_finish=datetime(2024, 2, 29, 17),
            actual_start=datetime(2024, 2, 5, 8),
            actual_cost=6_000,
            remaining_cost=15_000,
        ),
        activity(
            "C300",
            30_000,
            ActivityStatus.NOT_STARTED,
            planned_start=datetime(2024, 3, 1, 8),
            planned_finish=PLAN_FINISH,
            remaining_cost=30_000,
        ),
        activity("D400", 1_000, ActivityStatus.NOT_STARTED, remaining_cost=1_000),
    )
    fields: dict[str, object] = {
        "source_id": "small",
        "name": "small project",
        "currency": "GBP",
        "data_date": DATA_DATE,
        "source_format": "json",
        "planned_start": PLAN_START,
        "planned_finish": PLAN_FINISH,
        "default_calendar_id": "5x8",
        "calendars": (calendar(),),
        "activities": activities,
    }
    fields.update(overrides)
    return Project(**fields)  # type: ignore[arg-type]


def months(start: datetime, finish: datetime) -> float:
    """Count months by hand: each piece of a month counts as its share of that month's days."""
    total = 0.0
    moment = start
    while moment < finish:
        first = datetime(moment.year, moment.month, 1)
        following = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1)
        stop = min(following, finish)
        total += (stop - moment) / (following - first)
        moment = stop
    return total


def test_analysis_sums_bac_ev_ac() -> None:
    result = analyse(small_project())

    assert result.metrics.bac == 61_000
    assert result.metrics.ev == 10_000 + 0.25 * 20_000
    assert result.metrics.ac == 15_000


def test_analysis_pv_at_data_date() -> None:
    result = analyse(small_project())

    expected_pv = 10_000 + 20_000 * B200_HOURS_DONE / B200_HOURS
    assert result.metrics.pv == pytest.approx(expected_pv, rel=1e-12)
    assert result.metrics.spi == pytest.approx(15_000 / expected_pv, rel=1e-12)
    assert result.status_date == DATA_DATE


def test_analysis_reports_excluded_budget() -> None:
    result = analyse(small_project())

    assert [item.code for item in result.excluded] == ["D400"]
    assert result.excluded_budget == 1_000
    assert result.time_phased_budget == 60_000


def test_analysis_bottom_up_from_remaining_cost() -> None:
    result = analyse(small_project())

    bottom_up = result.metrics.forecast(EacMethod.BOTTOM_UP)

    assert bottom_up.etc == 46_000
    assert bottom_up.eac == 61_000


def test_analysis_without_remaining_estimates_has_no_bottom_up() -> None:
    project = small_project()
    stripped = tuple(replace(item, remaining_cost=0.0) for item in project.activities)

    result = analyse(small_project(activities=stripped))

    assert result.metrics.forecast(EacMethod.BOTTOM_UP).eac is None


def test_analysis_monthly_series() -> None:
    result = analyse(small_project())

    rows = [(point.month, point.period_end, point.planned_value) for point in result.monthly]

    assert rows == [
        ("2024-01", date(2024, 1, 31), 10_000),
        ("2024-02", date(2024, 2, 29), 30_000),
        ("2024-03", date(2024, 3, 31), 60_000),
    ]


def test_analysis_estimates_past_months_only() -> None:
    result = analyse(small_project())

    january, february, march = result.monthly

    assert result.actuals_source is ActualsSource.ESTIMATED
    assert january.earned_value == pytest.approx(10_000)
    assert january.actual_cost == pytest.approx(9_000)
    assert january.estimated is True
    assert february.earned_value is None
    assert february.actual_cost is None
    assert february.estimated is False
    assert march.earned_value is None


def test_analysis_uses_reported_monthly_actuals() -> None:
    reports = (
        MonthlyActual(month="2023-12", actual_cost=500.0),
        MonthlyActual(month="2024-01", actual_cost=8_800.0, earned_value=9_500.0),
    )

    result = analyse(small_project(monthly_actuals=reports))

    assert result.actuals_source is ActualsSource.REPORTED
    assert [point.month for point in result.monthly][:2] == ["2023-12", "2024-01"]
    assert result.monthly[0].actual_cost == 500.0
    assert result.monthly[0].earned_value is None
    assert result.monthly[0].planned_value == 0.0
    assert result.monthly[1].actual_cost == 8_800.0
    assert result.monthly[1].earned_value == 9_500.0
    assert not any(point.estimated for point in result.monthly)


def test_analysis_earned_schedule_in_months() -> None:
    # PV at the boundaries: 0 at the start, 10,000 at 1 February, 30,000 at 1 March.
    # EV 15,000 lies a quarter of the way through February.
    first_month = months(PLAN_START, datetime(2024, 2, 1))

    result = analyse(small_project())

    assert result.earned_schedule is not None
    assert result.earned_schedule.es == pytest.approx(first_month + 0.25, rel=1e-12)
    assert result.earned_schedule.at == pytest.approx(months(PLAN_START, DATA_DATE), rel=1e-12)
    assert result.earned_schedule.pd == pytest.approx(months(PLAN_START, PLAN_FINISH), rel=1e-12)
    assert result.plan_start == PLAN_START
    assert result.plan_finish == PLAN_FINISH


def test_earned_schedule_ignores_excluded_ev() -> None:
    project = small_project()
    undated = replace(project.activities[3], status=ActivityStatus.IN_PROGRESS)
    half_done = replace(undated, percent_complete=0.5)
    activities = (*project.activities[:3], half_done)

    result = analyse(small_project(activities=activities))
    baseline = analyse(project)

    assert result.metrics.ev == baseline.metrics.ev + 500
    assert result.earned_schedule == baseline.earned_schedule


def test_analysis_status_date_moves_pv_and_at() -> None:
    status = datetime(2024, 3, 1)

    result = analyse(small_project(), status_date=status)

    assert result.metrics.pv == pytest.approx(30_000)
    assert result.metrics.ev == 15_000
    assert result.earned_schedule is not None
    assert result.earned_schedule.at == pytest.approx(months(PLAN_START, status), rel=1e-12)


def test_analysis_to_dict_is_json_ready() -> None:
    result = analyse(small_project())

    figures = result.to_dict()
    text = json.dumps(figures, allow_nan=False)

    assert figures["data_date"] == "2024-02-15T00:00:00"
    assert figures["period_unit"] == "month"
    assert figures["monthly"][0]["period_end"] == "2024-01-31"
    assert figures["metrics"]["forecasts"]["cpi"]["eac"] == pytest.approx(61_000)
    assert figures["excluded"][0]["code"] == "D400"
    assert json.loads(text) == figures


def test_analysis_of_project_without_costs() -> None:
    free = small_project(activities=(activity("Z1", 0, ActivityStatus.NOT_STARTED),))

    result = analyse(free)

    assert result.metrics.bac == 0
    assert result.metrics.cpi is None
    assert result.metrics.spi is None
    assert result.earned_schedule is not None
    assert result.earned_schedule.es == 0
    assert all(point.planned_value == 0 for point in result.monthly)


def test_analysis_rejects_percent_above_one() -> None:
    broken = activity("P1", 100, ActivityStatus.IN_PROGRESS, percent_complete=1.5)

    with pytest.raises(InvalidFigureError, match=r"'P1' has percent complete 1\.5"):
        analyse(small_project(activities=(broken,)))


def test_analysis_rejects_bad_reported_month() -> None:
    reports = (MonthlyActual(month="2024-13", actual_cost=1.0),)

    with pytest.raises(InvalidFigureError, match="'2024-13' is invalid"):
        analyse(small_project(monthly_actuals=reports))


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [number for item in value.values() for number in _numbers(item)]
    if isinstance(value, list):
        return [number for item in value for number in _numbers(item)]
    return [value] if isinstance(value, float | int) and not isinstance(value, bool) else []


@pytest.fixture(scope="module")
def sp10(shared_data: Path) -> Project:
    """The real P6 file through the schedule import."""
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    return import_schedule(data, "sp10-cost-loaded.xer", max_bytes=len(data)).project


def test_real_file_totals_to_the_cent(sp10: Project) -> None:
    result = analyse(sp10)

    assert round(result.metrics.bac, 2) == 215_918_496.41
    assert round(result.metrics.ac, 2) == 16_001_858.60
    assert 0 < result.metrics.ev < result.metrics.bac
    assert 0 <= result.metrics.pv <= result.metrics.bac


def test_real_file_monthly_pv_rises_to_phased_budget(sp10: Project) -> None:
    result = analyse(sp10)

    values = [point.planned_value for point in result.monthly]

    assert len(values) > 12
    assert all(later >= earlier for earlier, later in pairwise(values))
    assert values[-1] == pytest.approx(result.metrics.bac - result.excluded_budget, abs=0.01)
    assert result.time_phased_budget + result.excluded_budget == pytest.approx(
        result.metrics.bac, abs=0.01
    )


def test_real_file_has_no_nan(sp10: Project) -> None:
    figures = analyse(sp10).to_dict()

    numbers = _numbers(figures)

    assert len(numbers) > 100
    assert all(math.isfinite(number) for number in numbers)
    assert json.dumps(figures, allow_nan=False)


def test_real_file_earned_schedule_within_plan(sp10: Project) -> None:
    result = analyse(sp10)

    schedule = result.earned_schedule

    assert schedule is not None
    assert 0 < schedule.es <= schedule.pd
    assert 0 < schedule.at < schedule.pd
    assert schedule.spi_t is not None


def test_real_file_unrepaired_dates_are_skipped(shared_data: Path) -> None:
    # Straight from the reader, 19 planned finishes lie centuries ahead (up to year 4637).
    raw, _ = read_xer((shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes())

    result = analyse(raw)

    assert result.monthly[-1].planned_value == pytest.approx(result.metrics.bac, abs=0.01)
    assert result.plan_finish is not None
    assert result.plan_finish.year < 2100
    assert all(math.isfinite(number) for number in _numbers(result.to_dict()))
