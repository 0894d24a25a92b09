from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from schedules import import_schedule, sample_project_bytes
from schedules.errors import InvalidProjectError, MalformedScheduleError
from schedules.json_format import load_project_json, project_to_json
from schedules.model import (
    ActivityStatus,
    Distribution,
    PercentCompleteType,
    Project,
    RelationshipType,
    ThreePointEstimate,
    WorkInterval,
)
from schedules.worktime import WorkingTime

MAX_BYTES = 10_000_000


def minimal_document() -> dict[str, Any]:
    """Two activities on the default calendar, the second in progress."""
    return {
        "format": "enhanced-pmr-project",
        "version": 1,
        "project": {
            "id": "P1",
            "name": "Office fit-out",
            "currency": "EUR",
            "data_date": "2025-03-31T17:00:00",
        },
        "activities": [
            {
                "code": "A10",
                "name": "Strip out",
                "original_duration": 5,
                "actual_start": "2025-03-03T08:00:00",
                "actual_finish": "2025-03-07T17:00:00",
                "budgeted_cost": 5000,
                "actual_cost": 5200,
            },
            {
                "code": "A20",
                "name": "Partitions",
                "original_duration": 10,
                "remaining_duration": 4,
                "actual_start": "2025-03-24T08:00:00",
                "budgeted_cost": 12000,
                "actual_cost": 7000,
                "remaining_cost": 4800,
            },
        ],
        "relationships": [{"predecessor": "A10", "successor": "A20", "lag": 1}],
    }


def load(document: dict[str, Any]) -> Project:
    project, warnings = load_project_json(json.dumps(document).encode())
    assert warnings == []
    return project


@pytest.fixture(scope="module")
def sample() -> Project:
    return import_schedule(
        sample_project_bytes(), "sample-project.json", max_bytes=MAX_BYTES
    ).project


def test_sample_imports_without_warnings() -> None:
    result = import_schedule(sample_project_bytes(), "sample-project.json", max_bytes=MAX_BYTES)

    assert result.warnings == ()
    assert result.project.source_format == "json"


def test_sample_contents(sample: Project) -> None:
    statuses = [activity.status for activity in sample.activities]

    assert sample.name == "Riverside Footbridge"
    assert sample.currency == "GBP"
    assert sample.data_date == datetime(2025, 7, 31, 17)
    assert len(sample.activities) == 41
    assert len(sample.relationships) == 56
    assert len(sample.assignments) == 10
    assert len(sample.risks) == 8
    assert [m.month for m in sample.monthly_actuals] == [f"2025-0{m}" for m in range(2, 8)]
    assert len(sample.calendars) == 3
    assert statuses.count(ActivityStatus.COMPLETED) == 19
    assert statuses.count(ActivityStatus.IN_PROGRESS) == 4
    assert {r.type for r in sample.relationships} == {
        RelationshipType.FS,
        RelationshipType.SS,
        RelationshipType.FF,
    }


def test_sample_money_agrees_with_last_month(sample: Project) -> None:
    earned = sum(a.budgeted_cost * a.percent_complete for a in sample.activities)
    july = sample.monthly_actuals[-1]

    assert round(sample.budget_at_completion, 2) == 2_654_900.00
    assert round(sample.actual_cost, 2) == 1_433_176.60
    assert july.actual_cost == pytest.approx(sample.actual_cost, abs=0.005)
    assert july.earned_value == pytest.approx(earned, abs=0.005)
    assert all(
        later.actual_cost >= earlier.actual_cost
        for earlier, later in zip(sample.monthly_actuals, sample.monthly_actuals[1:], strict=False)
    )


def test_sample_dates_match_durations(sample: Project) -> None:
    clocks = {c.id: WorkingTime(c, date(2025, 1, 1), date(2026, 12, 31)) for c in sample.calendars}
    tasks = [a for a in sample.activities if a.type.value == "task"]

    for task in tasks:
        assert task.planned_start is not None
        assert task.planned_finish is not None
        clock = clocks[task.calendar_id or ""]
        planned = clock.hours_between(task.planned_start, task.planned_finish)
        assert planned == task.original_duration_hours, task.code
        if task.status is not ActivityStatus.COMPLETED:
            assert task.early_start is not None
            assert task.early_finish is not None
            forecast = clock.hours_between(task.early_start, task.early_finish)
            assert forecast == task.remaining_duration_hours, task.code


def test_sample_converts_days_to_hours(sample: Project) -> None:
    by_code = {activity.code: activity for activity in sample.activities}
    links = {(r.predecessor_id, r.successor_id): r for r in sample.relationships}
    risk = sample.risks[0]

    # The fabrication works calendar has 10 hours a day.
    assert by_code["A1320"].original_duration_hours == 400.0
    assert by_code["A1320"].remaining_duration_hours == 240.0
    assert by_code["A1320"].percent_complete_type is PercentCompleteType.PHYSICAL
    assert by_code["A1320"].duration_estimate == ThreePointEstimate(340.0, 400.0, 540.0)
    # A lag runs on the predecessor's calendar: 5 site days of 9 hours, 5 office days of 8.
    assert links[("A1450", "A1470")].lag_hours == 45.0
    assert links[("A1130", "A1140")].lag_hours == 40.0
    assert links[("A1130", "A1140")].type is RelationshipType.SS
    # Risk impacts use the project's default office calendar.
    assert risk.duration_impact_hours == ThreePointEstimate(40.0, 80.0, 160.0)
    assert risk.affected_activity_ids == ("A1320", "A1330")
    assert by_code["A1410"].constraint_type == "start_on_or_after"


def test_sample_costs_from_assignments(sample: Project) -> None:
    walls = next(a for a in sample.activities if a.code == "A1440")
    assignments = [a for a in sample.assignments if a.activity_id == "A1440"]

    assert walls.budgeted_cost == pytest.approx(112_000.0)
    assert walls.budgeted_cost == pytest.approx(sum(a.budgeted_cost for a in assignments))
    assert walls.actual_cost == pytest.approx(sum(a.actual_cost for a in assignments))
    assert [a.resource_id for a in assignments] == ["R-CONC", "R-SITE"]


def test_sample_calendars(sample: Project) -> None:
    calendars = sample.calendars_by_id()
    site, office, works = calendars["site"], calendars["office"], calendars["works"]
    shutdown = [date(2025, 12, 22 + i) for i in range(10)] + [date(2026, 1, 1), date(2026, 1, 2)]

    assert all(site.intervals_on(day) == () for day in shutdown)
    assert office.intervals_on(date(2025, 12, 29)) == office.week[0]
    assert office.intervals_on(date(2025, 8, 25)) == ()
    assert site.week[0] == (
        WorkInterval(time(7, 30), time(12)),
        WorkInterval(time(12, 30), time(17)),
    )
    assert sum(interval.hours for interval in works.week[5]) == 10.0
    assert works.hours_per_week == 60.0


def test_project_to_json_round_trip(sample: Project) -> None:
    document = json.dumps(project_to_json(sample)).encode()

    reloaded, _ = load_project_json(document)

    assert reloaded == sample


def test_project_to_json_real_xer(shared_data: Path) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    project = import_schedule(data, max_bytes=50_000_000).project

    reloaded, _ = load_project_json(json.dumps(project_to_json(project)).encode())
    by_code = {a.code: a for a in reloaded.activities}

    assert len(reloaded.activities) == 3994
    assert round(reloaded.budget_at_completion, 2) == round(project.budget_at_completion, 2)
    assert len(reloaded.relationships) == len(project.relationships)
    assert all(
        by_code[a.code].original_duration_hours == a.original_duration_hours
        for a in project.activities
    )
    assert all(by_code[a.code].planned_finish == a.planned_finish for a in project.activities)


def test_load_minimal_document_derives_values() -> None:
    project = load(minimal_document())
    strip_out, partitions = project.activities

    assert project.default_calendar_id == "standard"
    assert project.calendars[0].hours_per_day == 8.0
    assert strip_out.status is ActivityStatus.COMPLETED
    assert strip_out.percent_complete == 1.0
    assert strip_out.remaining_duration_hours == 0.0
    assert partitions.status is ActivityStatus.IN_PROGRESS
    assert partitions.original_duration_hours == 80.0
    assert partitions.remaining_duration_hours == 32.0
    assert partitions.percent_complete == pytest.approx(0.6)
    assert project.relationships[0].lag_hours == 8.0


def test_load_hours_unit() -> None:
    document = minimal_document()
    document["project"]["duration_unit"] = "hours"

    project = load(document)

    assert project.activities[1].original_duration_hours == 10.0
    assert project.relationships[0].lag_hours == 1.0


def test_load_calendar_exception_range() -> None:
    document = minimal_document()
    document["calendars"] = [
        {
            "id": "c",
            "hours_per_day": 7.5,
            "week": {"monday": ["09:00-12:30", "13:00-17:00"], "sunday": ["22:00-24:00"]},
            "exceptions": [
                {"date": "2025-04-18", "to": "2025-04-21", "name": "Easter"},
                {"date": "2025-04-26", "working_times": ["09:00-13:00"]},
            ],
        }
    ]

    calendar = load(document).calendars[0]

    assert calendar.week[0] == (
        WorkInterval(time(9), time(12, 30)),
        WorkInterval(time(13), time(17)),
    )
    assert calendar.week[6] == (WorkInterval(time(22), time(0)),)
    assert calendar.hours_per_week == 9.5
    assert sorted(calendar.exceptions) == [
        date(2025, 4, 18),
        date(2025, 4, 19),
        date(2025, 4, 20),
        date(2025, 4, 21),
        date(2025, 4, 26),
    ]
    assert calendar.exceptions[date(2025, 4, 26)] == (WorkInterval(time(9), time(13)),)


def test_load_estimates_and_risks() -> None:
    document = minimal_document()
    document["activities"][1]["duration_estimate"] = {
        "optimistic": 8,
        "most_likely": 10,
        "pessimistic": 15,
        "distribution": "pert",
    }
    document["activities"][1]["cost_estimate"] = {
        "optimistic": 11000,
        "most_likely": 12000,
        "pessimistic": 16000,
    }
    document["risks"] = [
        {
            "id": "R1",
            "title": "Late glazing",
            "probability": 0.3,
            "duration_impact": {"optimistic": 1, "most_likely": 2, "pessimistic": 5},
            "affected_activities": ["A20"],
            "owner": "PM",
            "due_date": "2025-04-30",
        }
    ]
    document["monthly_actuals"] = [
        {"month": "2025-03", "actual_cost": 12200, "earned_value": 12200}
    ]

    project = load(document)

    assert project.activities[1].duration_estimate == ThreePointEstimate(
        64, 80, 120, Distribution.PERT
    )
    assert project.activities[1].cost_estimate == ThreePointEstimate(11000, 12000, 16000)
    assert project.risks[0].duration_impact_hours == ThreePointEstimate(8, 16, 40)
    assert project.risks[0].due_date == date(2025, 4, 30)
    assert project.monthly_actuals[0].planned_value is None


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _remove(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


INVALID = [
    ("missing-format", _remove(("format",)), "$.format"),
    ("wrong-version", _set(("version",), 2), "$.version"),
    (
        "negative-duration",
        _set(("activities", 1, "original_duration"), -3),
        "$.activities[1].original_duration",
    ),
    (
        "text-duration",
        _set(("activities", 0, "original_duration"), "five"),
        "$.activities[0].original_duration",
    ),
    ("unknown-field", _set(("activities", 0, "durration"), 5), "$.activities[0].durration"),
    ("bad-currency", _set(("project", "currency"), "euro"), "$.project.currency"),
    (
        "zoned-date",
        _set(("project", "data_date"), "2025-03-31T17:00:00+01:00"),
        "$.project.data_date",
    ),
    (
        "percent-over-one",
        _set(("activities", 1, "percent_complete"), 60),
        "$.activities[1].percent_complete",
    ),
    (
        "unordered-estimate",
        _set(
            ("activities", 1, "duration_estimate"),
            {"optimistic": 9, "most_likely": 5, "pessimistic": 12},
        ),
        "$.activities[1].duration_estimate",
    ),
    (
        "bad-interval",
        _set(("calendars",), [{"id": "c", "hours_per_day": 8, "week": {"monday": ["8-12"]}}]),
        "$.calendars[0].week.monday[0]: working time '8-12' must be written HH:MM-HH:MM",
    ),
    (
        "bad-month",
        _set(("monthly_actuals",), [{"month": "2025-13", "actual_cost": 1}]),
        "$.monthly_actuals[0].month",
    ),
    ("no-activities", _set(("activities",), []), "$.activities"),
    (
        "duplicate-code",
        _set(("activities", 1, "code"), "A10"),
        "$.activities[1].code: duplicate activity code 'A10'",
    ),
    (
        "unknown-predecessor",
        _set(("relationships", 0, "predecessor"), "A99"),
        "$.relationships[0].predecessor: activity code 'A99' not found",
    ),
    (
        "self-link",
        _set(("relationships", 0, "predecessor"), "A20"),
        "$.relationships[0]: an activity cannot precede itself",
    ),
    (
        "unknown-calendar",
        _set(("activities", 0, "calendar"), "night"),
        "$.activities[0].calendar: calendar 'night' not found",
    ),
    (
        "unknown-wbs",
        _set(("activities", 0, "wbs"), "W9"),
        "$.activities[0].wbs: WBS id 'W9' not found",
    ),
    (
        "unknown-resource",
        _set(("assignments",), [{"activity": "A20", "resource": "R9", "budgeted_cost": 12000}]),
        "$.assignments[0].resource: resource id 'R9' not found",
    ),
    (
        "unknown-risk-activity",
        _set(
            ("risks",),
            [{"id": "R1", "title": "t", "probability": 0.1, "affected_activities": ["A30"]}],
        ),
        "$.risks[0].affected_activities[0]: activity code 'A30' not found",
    ),
    (
        "cost-differs-from-assignments",
        _set(
            ("assignments",),
            [
                {
                    "activity": "A20",
                    "budgeted_cost": 11000,
                    "actual_cost": 7000,
                    "remaining_cost": 4800,
                }
            ],
        ),
        "$.activities[1].budgeted_cost: 12,000.00 differs from the sum of the activity's "
        "assignments, 11,000.00",
    ),
    (
        "completed-not-full",
        _set(("activities", 0, "percent_complete"), 0.5),
        "$.activities[0].percent_complete: must be 1 for a completed activity",
    ),
    (
        "nan-cost",
        _set(("activities", 0, "budgeted_cost"), math.nan),
        "$.activities[0].budgeted_cost: Input should be a finite number (got nan)",
    ),
    (
        "infinite-lag",
        _set(("relationships", 0, "lag"), -math.inf),
        "$.relationships[0].lag: Input should be a finite number (got -inf)",
    ),
    (
        "nan-as-text",
        _set(("activities", 1, "remaining_duration"), "nan"),
        "$.activities[1].remaining_duration: Input should be a finite number",
    ),
    (
        "cost-beyond-limit",
        _set(("activities", 0, "actual_cost"), 2e15),
        "$.activities[0].actual_cost: Input should be less than or equal to 1000000000000000",
    ),
    (
        "duration-beyond-limit",
        _set(("activities", 1, "original_duration"), 300_000),
        "$.activities[1].original_duration: 300,000 days is 2,400,000 hours, beyond the "
        "1,761,935 hours",
    ),
    (
        "negative-activity-estimate",
        _set(
            ("activities", 1, "cost_estimate"),
            {"optimistic": -10, "most_likely": 5, "pessimistic": 12},
        ),
        "$.activities[1].cost_estimate: an activity's duration or cost cannot be negative",
    ),
    (
        "physical-without-percent",
        _set(("activities", 1, "percent_complete_type"), "physical"),
        "$.activities[1].percent_complete: required for an in-progress activity measured "
        "by physical",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=name) for name, change, expected in INVALID],
)
def test_load_invalid_document_names_path(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    document = copy.deepcopy(minimal_document())
    change(document)

    with pytest.raises(InvalidProjectError) as caught:
        load_project_json(json.dumps(document).encode())

    assert caught.value.code == "invalid_project"
    assert expected in caught.value.detail


def test_load_lists_several_problems() -> None:
    document = minimal_document()
    for activity in document["activities"]:
        activity["original_duration"] = -1

    with pytest.raises(InvalidProjectError) as caught:
        load_project_json(json.dumps(document).encode())

    assert "$.activities[0].original_duration" in caught.value.detail
    assert "$.activities[1].original_duration" in caught.value.detail


def test_load_top_level_array_rejected() -> None:
    with pytest.raises(InvalidProjectError) as caught:
        load_project_json(b"[1, 2]")

    assert "$: the file must contain a JSON object, not list" in caught.value.detail


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b'{"format": "enhanced-pmr-project",', "line 1 column 35", id="cut-short"),
        pytest.param(b"{'format': 1}", "line 1 column 2", id="single-quotes"),
        pytest.param(b'{"name": "\xff"}', "not UTF-8", id="not-utf8"),
        pytest.param(b"[" * 100_000, "nested too deeply", id="deep-nesting"),
    ],
)
def test_load_invalid_json(data: bytes, expected: str) -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        load_project_json(data)

    assert caught.value.code == "invalid_json"
    assert expected in caught.value.detail


def test_load_accepts_byte_order_mark() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(minimal_document()).encode()

    project, _ = load_project_json(data)

    assert project.name == "Office fit-out"


def test_project_to_json_rejects_duplicate_codes(sample: Project) -> None:
    twin = sample.activities[1]
    project = Project(
        source_id="x",
        name="x",
        currency="GBP",
        data_date=sample.data_date,
        source_format="json",
        activities=(sample.activities[0], twin, twin),
    )

    with pytest.raises(InvalidProjectError) as caught:
        project_to_json(project)

    assert "A1010" in caught.value.detail


def test_load_long_integer_names_path() -> None:
    data = json.dumps(minimal_document()).replace('"lag": 1', '"lag": ' + "7" * 40)

    with pytest.raises(InvalidProjectError) as caught:
        load_project_json(data.encode())

    assert "$.relationships[0].lag: the number has 40 digits, too long" in caught.value.detail


def test_load_accepts_negative_risk_impact() -> None:
    # A negative impact is an opportunity: the risk, if it occurs, saves time or money.
    document = minimal_document()
    document["risks"] = [
        {
            "id": "O1",
            "title": "Early steel delivery",
            "probability": 0.3,
            "duration_impact": {"optimistic": -3, "most_likely": -2, "pessimistic": 0},
            "affected_activities": ["A20"],
        }
    ]

    project = load(document)

    assert project.risks[0].duration_impact_hours == ThreePointEstimate(-24, -16, 0)
