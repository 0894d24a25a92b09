from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    Calendar,
    Project,
    Relationship,
    WorkInterval,
)
from schedules.sanity import repair_project
from schedules.xer import read_xer

DAY = (WorkInterval(time(8), time(16)),)
CALENDAR = Calendar("cal", "5 x 8", 8.0, 40.0, (DAY,) * 5 + ((), ()))


def activity(code: str, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "id": code,
        "code": code,
        "name": f"Activity {code}",
        "type": ActivityType.TASK,
        "status": ActivityStatus.NOT_STARTED,
        "calendar_id": "cal",
        "original_duration_hours": 40.0,
        "remaining_duration_hours": 40.0,
        "planned_start": datetime(2024, 10, 7, 8),
        "planned_finish": datetime(2024, 10, 11, 16),
        "early_start": datetime(2024, 10, 7, 8),
        "early_finish": datetime(2024, 10, 11, 16),
        "budgeted_cost": 1000.0,
    }
    values.update(fields)
    return Activity(**values)


def project(
    activities: Sequence[Activity],
    relationships: Sequence[Relationship] = (),
    **fields: Any,
) -> Project:
    values: dict[str, Any] = {
        "source_id": "p1",
        "name": "Footbridge",
        "currency": "GBP",
        "data_date": datetime(2024, 10, 1),
        "source_format": "json",
        "planned_start": datetime(2024, 10, 7, 8),
        "planned_finish": datetime(2024, 10, 25, 16),
        "default_calendar_id": "cal",
        "calendars": (CALENDAR,),
        "activities": tuple(activities),
        "relationships": tuple(relationships),
    }
    values.update(fields)
    return Project(**values)


def test_repair_clean_project_unchanged() -> None:
    original = project([activity("A"), activity("B")], [Relationship("A", "B")])

    repaired, warnings = repair_project(original)

    assert warnings == []
    assert repaired == original


def test_repair_drops_far_future_planned_finish() -> None:
    original = project([activity("A", planned_finish=datetime(4637, 11, 24, 17))])

    repaired, warnings = repair_project(original)

    assert repaired.activities[0].planned_finish is None
    assert repaired.activities[0].early_finish == datetime(2024, 10, 11, 16)
    assert [w.code for w in warnings] == ["date_out_of_range"]
    assert "4637-11-24 17:00" in warnings[0].message
    assert "early finish instead" in warnings[0].message
    assert warnings[0].activity_codes == ("A",)


def test_repair_drops_dates_before_1950() -> None:
    original = project([activity("A", actual_start=datetime(1899, 12, 30))])

    repaired, warnings = repair_project(original)

    assert repaired.activities[0].actual_start is None
    assert [w.code for w in warnings] == ["date_out_of_range"]
    assert "actual start" in warnings[0].message


def test_repair_drops_assignment_dates_out_of_range() -> None:
    assignment = Assignment("x", "A", None, planned_finish=datetime(3000, 1, 1))
    original = project([activity("A")], assignments=(assignment,))

    repaired, _ = repair_project(original)

    assert repaired.assignments[0].planned_finish is None


def test_repair_replaces_absurd_duration() -> None:
    bad = activity(
        "COST-1",
        status=ActivityStatus.IN_PROGRESS,
        original_duration_hours=5_469_776.0,
        remaining_duration_hours=16.0,
        percent_complete=0.99999,
        actual_start=datetime(2024, 10, 7, 8),
        planned_finish=datetime(4637, 11, 24, 17),
    )

    repaired, warnings = repair_project(project([bad]))
    fixed = repaired.activities[0]

    # Monday 08:00 to Friday 16:00 on a 5 x 8 calendar is 40 working hours.
    assert fixed.original_duration_hours == 40.0
    assert fixed.percent_complete == pytest.approx(0.6)
    assert [w.code for w in warnings] == ["date_out_of_range", "duration_inconsistent"]
    assert "5,469,776 h" in warnings[1].message
    assert "became 40 h" in warnings[1].message
    assert warnings[1].activity_codes == ("COST-1",)


def test_repair_keeps_plausible_duration() -> None:
    original = project([activity("A", original_duration_hours=120.0)])

    repaired, warnings = repair_project(original)

    assert repaired.activities[0].original_duration_hours == 120.0
    assert warnings == []


def test_repair_drops_dangling_relationships() -> None:
    links = [Relationship("A", "B"), Relationship("A", "GONE"), Relationship("B", "B")]
    original = project([activity("A"), activity("B")], links)

    repaired, warnings = repair_project(original)

    assert repaired.relationships == (Relationship("A", "B"),)
    assert [w.code for w in warnings] == ["dangling_relationship", "self_relationship"]
    assert "A -> GONE" in warnings[0].message
    assert warnings[0].activity_codes == ("A",)


def test_repair_drops_assignments_of_missing_activities() -> None:
    assignments = (Assignment("1", "A", None, 10.0), Assignment("2", "GONE", None, 5.0))
    original = project([activity("A")], assignments=assignments)

    repaired, warnings = repair_project(original)

    assert [a.id for a in repaired.assignments] == ["1"]
    assert [w.code for w in warnings] == ["dangling_assignment"]


def test_repair_reports_duplicate_codes() -> None:
    original = project([activity("A"), activity("A", id="A-2"), activity("B")])

    _, warnings = repair_project(original)

    assert [w.code for w in warnings] == ["duplicate_activity_code"]
    assert warnings[0].activity_codes == ("A",)


def test_repair_reports_cost_without_dates() -> None:
    undated = activity(
        "A", planned_start=None, planned_finish=None, early_start=None, early_finish=None
    )
    original = project([undated, activity("B")])

    _, warnings = repair_project(original)

    assert [w.code for w in warnings] == ["cost_without_dates"]
    assert "1,000.00" in warnings[0].message
    assert warnings[0].activity_codes == ("A",)


def test_repair_clears_unknown_calendar() -> None:
    original = project([activity("A", calendar_id="nine-day-week")])

    repaired, warnings = repair_project(original)

    assert repaired.activities[0].calendar_id is None
    assert [w.code for w in warnings] == ["unknown_calendar"]
    assert "nine-day-week" in warnings[0].message


def test_repair_derives_missing_project_finish() -> None:
    original = project([activity("A"), activity("B")], planned_finish=None)

    repaired, warnings = repair_project(original)

    assert repaired.planned_finish == datetime(2024, 10, 11, 16)
    assert repaired.planned_start == datetime(2024, 10, 7, 8)
    assert [w.code for w in warnings] == ["project_dates_derived"]


def test_repair_real_xer_far_future_dates(shared_data: Path) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    raw, _ = read_xer(data)

    repaired, warnings = repair_project(raw)
    by_code = {a.code: a for a in repaired.activities}
    found = {w.code: w for w in warnings}

    assert found["date_out_of_range"].message.startswith("19 activities had a planned finish")
    assert len(found["date_out_of_range"].activity_codes) == 19
    assert all(code.startswith("COST-") for code in found["date_out_of_range"].activity_codes)
    assert found["duration_inconsistent"].message.startswith("19 activities")
    assert set(found["duration_inconsistent"].activity_codes) == set(
        found["date_out_of_range"].activity_codes
    )
    assert all(
        a.planned_finish is None or a.planned_finish.year < 2100 for a in repaired.activities
    )
    assert max(a.original_duration_hours for a in repaired.activities) < 10_000
    # COST-1060 runs from its planned start 2017-02-23 08:00 to its early finish
    # 2017-11-30 17:00 on calendar 640: eight hours on every weekday in between.
    weekdays = int(np.busday_count(date(2017, 2, 23), date(2017, 12, 1)))
    assert by_code["COST-1060"].original_duration_hours == weekdays * 8.0
    assert by_code["COST-1060"].percent_complete == pytest.approx(1 - 432.0 / (weekdays * 8.0))
