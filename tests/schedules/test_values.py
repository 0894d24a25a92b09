from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from schedules.errors import InvalidProjectError
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    MonthlyActual,
    Project,
    Relationship,
    Risk,
    ThreePointEstimate,
)
from schedules.values import MAX_AMOUNT, MAX_HOURS, check_values, parse_finite


def activity(code: str, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "id": code,
        "code": code,
        "name": f"Activity {code}",
        "type": ActivityType.TASK,
        "status": ActivityStatus.IN_PROGRESS,
        "original_duration_hours": 40.0,
        "remaining_duration_hours": 16.0,
        "budgeted_cost": 1000.0,
        "actual_cost": 600.0,
        "remaining_cost": 400.0,
    }
    values.update(fields)
    return Activity(**values)


def project(activities: Sequence[Activity], **fields: Any) -> Project:
    return Project(
        source_id="p1",
        name="Footbridge",
        currency="GBP",
        data_date=datetime(2024, 10, 1),
        source_format="xer",
        activities=tuple(activities),
        **fields,
    )


def rejection(candidate: Project) -> str:
    with pytest.raises(InvalidProjectError) as caught:
        check_values(candidate)
    assert caught.value.code == "invalid_values"
    return caught.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("12.5", 12.5, id="decimal"),
        pytest.param("-3", -3.0, id="negative"),
        pytest.param("nan", None, id="nan"),
        pytest.param("-inf", None, id="infinity"),
        pytest.param("1e400", None, id="overflow"),
        pytest.param("n/a", None, id="text"),
    ],
)
def test_parse_finite(text: str, expected: float | None) -> None:
    assert parse_finite(text) == expected


def test_check_values_clean_project_unchanged() -> None:
    clean = project([activity("A100"), activity("A110")])

    checked, warnings = check_values(clean)

    assert checked == clean
    assert warnings == []


def test_check_values_limits() -> None:
    assert MAX_AMOUNT == 1e15
    # The whole hours from 1950-01-01 00:00 to 2150-12-31 23:59: 73,414 days less a minute.
    assert MAX_HOURS == 73_414 * 24 - 1


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        pytest.param(
            {"budgeted_cost": math.nan},
            "activity A100: budgeted cost is nan, not a finite number",
            id="nan-cost",
        ),
        pytest.param(
            {"actual_units": 2e15},
            "activity A100: actual units is 2e+15, outside -1,000,000,000,000,000",
            id="units-too-large",
        ),
        pytest.param(
            {"original_duration_hours": 2e6},
            "activity A100: original duration hours is 2,000,000, outside -1,761,935",
            id="duration-too-long",
        ),
        pytest.param(
            {"percent_complete": 1.5},
            "activity A100: percent complete is 1.5, outside 0 to 1",
            id="percent-over-one",
        ),
        pytest.param(
            {"total_float_hours": math.inf},
            "activity A100: total float hours is inf",
            id="infinite-float",
        ),
        pytest.param(
            {"duration_estimate": ThreePointEstimate(8, 16, math.inf)},
            "activity A100: duration estimate pessimistic is inf",
            id="infinite-estimate",
        ),
        pytest.param(
            {"budgeted_units": -8.0},
            "activity A100: budgeted units is negative (-8.00)",
            id="negative-budget-units",
        ),
        pytest.param(
            {"original_duration_hours": -5.0},
            "activity A100: original duration hours is negative (-5.00)",
            id="negative-original-duration",
        ),
        pytest.param(
            {"remaining_duration_hours": -0.5},
            "activity A100: remaining duration hours is negative (-0.50)",
            id="negative-remaining-duration",
        ),
    ],
)
def test_check_values_rejects_activity_value(changed: dict[str, Any], expected: str) -> None:
    detail = rejection(project([activity("A100", **changed)]))

    assert expected in detail
    assert detail.endswith("correct these values in the source schedule and import it again")


def test_check_values_rejects_other_records() -> None:
    candidate = project(
        [activity("A100"), activity("A110")],
        relationships=(Relationship("A100", "A110", lag_hours=-2e6),),
        assignments=(Assignment("7", "A110", None, budgeted_cost=math.inf),),
        risks=(Risk("R1", "Flood", 1.2),),
        monthly_actuals=(MonthlyActual("2024-09", math.nan),),
    )

    detail = rejection(candidate)

    assert "relationship A100 -> A110: lag is -2,000,000" in detail
    assert "assignment 7 of activity A110: budgeted cost is inf" in detail
    assert "risk R1: probability is 1.2, outside 0 to 1" in detail
    assert "monthly actuals 2024-09: actual cost is nan" in detail


def test_check_values_lists_five_problems() -> None:
    candidate = project([activity(f"A{i}", percent_complete=2.0) for i in range(7)])

    detail = rejection(candidate)

    assert "activity A4:" in detail
    assert "activity A5:" not in detail
    assert "; and 2 more." in detail


def test_check_values_keeps_rounding_below_zero() -> None:
    # P6 leaves remainders such as -0.0013 when it subtracts actuals from the total.
    rounded = project([activity("A100", remaining_cost=-0.0013, remaining_units=-0.0013)])

    checked, warnings = check_values(rounded)

    assert checked == rounded
    assert warnings == []


def test_check_values_clamps_negative_remaining() -> None:
    candidate = project([activity("A100", remaining_cost=-250.0), activity("A110")])

    checked, warnings = check_values(candidate)

    assert checked.activities[0].remaining_cost == 0.0
    assert checked.activities[1] == candidate.activities[1]
    assert [warning.code for warning in warnings] == ["negative_remaining"]
    assert "A100: -250.00 cost" in warnings[0].message
    assert warnings[0].activity_codes == ("A100",)


def test_check_values_keeps_negative_actuals() -> None:
    credit = activity("A100", actual_cost=-120.0)

    checked, warnings = check_values(project([credit]))

    assert checked.activities[0].actual_cost == -120.0
    assert [warning.code for warning in warnings] == ["negative_actuals"]
    assert "A100: -120.00" in warnings[0].message


def test_check_values_removes_float_beyond_limit() -> None:
    far = activity("A100", total_float_hours=-5e6, free_float_hours=24.0)

    checked, warnings = check_values(project([far, activity("A110")]))

    assert checked.activities[0] == replace(far, total_float_hours=None)
    assert [warning.code for warning in warnings] == ["float_out_of_range"]
    assert warnings[0].activity_codes == ("A100",)
