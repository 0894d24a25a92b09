"""Hostile schedule files, each with the behaviour ``import_schedule`` must show.

A test marked ``xfail(strict=True)`` pins a defect that is still open. When the defect is
fixed, the test passes, pytest reports the strict xfail as a failure, and the mark must be
removed.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

import pytest

from schedules import ImportResult, ScheduleImportError, import_schedule, sample_project_bytes

MAX_BYTES = 50_000_000
MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"


def xer_file(
    *, cost: str = "1000", lag: str = "0", task_ids: tuple[str, str] = ("1", "2")
) -> bytes:
    """Return a two-activity XER export with one resource assignment and one relationship."""
    first, second = task_ids
    lines = [
        "ERMHDR\t8.1\t2024-10-01\tProject\tadmin\tx\tdb\tGBP",
        "%T\tPROJECT",
        "%F\tproj_id\tproj_short_name\tlast_recalc_date\tplan_start_date",
        "%R\t10\tBRIDGE\t2024-10-01 00:00\t2024-10-07 08:00",
        "%T\tTASK",
        "%F\ttask_id\tproj_id\ttask_code\ttask_name\ttask_type\tstatus_code"
        "\ttarget_drtn_hr_cnt\tremain_drtn_hr_cnt\ttarget_start_date\ttarget_end_date",
        f"%R\t{first}\t10\tA100\tSurvey\tTT_Task\tTK_NotStart\t40\t40"
        "\t2024-10-07 08:00\t2024-10-11 16:00",
        f"%R\t{second}\t10\tA110\tDesign\tTT_Task\tTK_NotStart\t40\t40"
        "\t2024-10-14 08:00\t2024-10-18 16:00",
        "%T\tTASKPRED",
        "%F\ttask_id\tpred_task_id\tproj_id\tpred_type\tlag_hr_cnt",
        f"%R\t{second}\t{first}\t10\tPR_FS\t{lag}",
        "%T\tTASKRSRC",
        "%F\ttaskrsrc_id\ttask_id\tproj_id\ttarget_cost\tremain_cost",
        f"%R\t1\t{first}\t10\t{cost}\t{cost}",
        "%E",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def mspdi_file(*, task_extra: str = "", header_extra: str = "", encoding: str = "UTF-8") -> bytes:
    """Return a one-task Microsoft Project XML file with ``task_extra`` inside the task."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<Project xmlns="{MSPDI_NAMESPACE}"><Name>P</Name>'
        f"<StatusDate>2024-10-15T08:00:00</StatusDate><CurrencyCode>GBP</CurrencyCode>"
        f"{header_extra}<Tasks><Task><UID>1</UID><ID>1</ID><Name>T1</Name>"
        "<Start>2024-10-07T08:00:00</Start><Finish>2024-10-11T17:00:00</Finish>"
        f"<Duration>PT40H0M0S</Duration><Cost>100000</Cost>{task_extra}</Task></Tasks></Project>"
    ).encode()


def sample_with(old: str, new: str) -> bytes:
    """Return the bundled sample project with the first ``old`` in its text replaced."""
    text = sample_project_bytes().decode("utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def tiny_project(**extra: Any) -> bytes:
    """Return a JSON project with two costed activities A and B and the given extra sections."""
    document = {
        "format": "enhanced-pmr-project",
        "version": 1,
        "project": {
            "id": "T",
            "name": "Tiny",
            "currency": "GBP",
            "data_date": "2025-01-15T17:00:00",
        },
        "activities": [
            {"code": code, "name": code, "original_duration": 5, "budgeted_cost": 1000}
            for code in ("A", "B")
        ],
        **extra,
    }
    return json.dumps(document).encode()


def import_or_error(data: bytes, filename: str) -> ImportResult | ScheduleImportError:
    """Return the import result, or the import error that the file raised."""
    try:
        return import_schedule(data, filename, max_bytes=MAX_BYTES)
    except ScheduleImportError as error:
        return error


def non_finite_numbers(value: object, path: str = "project") -> list[str]:
    """Return the paths of every NaN or infinite float inside a model record."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, tuple):
        return [
            found
            for index, item in enumerate(value)
            for found in non_finite_numbers(item, f"{path}[{index}]")
        ]
    if is_dataclass(value) and not isinstance(value, type):
        return [
            found
            for item in fields(value)
            for found in non_finite_numbers(getattr(value, item.name), f"{path}.{item.name}")
        ]
    return []


NON_FINITE_FILES = [
    pytest.param(xer_file(cost="nan"), "p.xer", id="xer-cost-nan"),
    pytest.param(xer_file(cost="inf"), "p.xer", id="xer-cost-inf"),
    pytest.param(xer_file(cost="1e400"), "p.xer", id="xer-cost-overflows"),
    pytest.param(xer_file(lag="nan"), "p.xer", id="xer-lag-nan"),
    pytest.param(
        mspdi_file(task_extra="<ActualCost>NaN</ActualCost>"), "p.xml", id="xml-cost-nan"
    ),
    pytest.param(
        mspdi_file(
            task_extra="<PercentComplete>nan</PercentComplete>"
            "<ActualStart>2024-10-07T08:00:00</ActualStart>"
        ),
        "p.xml",
        id="xml-percent-nan",
    ),
    pytest.param(
        mspdi_file(header_extra="<MinutesPerDay>nan</MinutesPerDay>"), "p.xml", id="xml-day-nan"
    ),
    pytest.param(
        sample_with('"budgeted_cost": 52000.0', '"budgeted_cost": NaN'), "p.json", id="json-nan"
    ),
    pytest.param(
        sample_with('"actual_cost": 55120.0', '"actual_cost": Infinity'),
        "p.json",
        id="json-infinity",
    ),
    pytest.param(
        sample_with('"budgeted_cost": 52000.0', '"budgeted_cost": 1e400'),
        "p.json",
        id="json-overflow",
    ),
]


@pytest.mark.parametrize(("data", "filename"), NON_FINITE_FILES)
def test_import_non_finite_numbers_never_reach_model(data: bytes, filename: str) -> None:
    outcome = import_or_error(data, filename)

    if isinstance(outcome, ScheduleImportError):
        assert outcome.detail
    else:
        assert non_finite_numbers(outcome.project) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            mspdi_file(task_extra="<ConstraintType>inf</ConstraintType>"),
            id="xml-constraint-type-inf",
        ),
        pytest.param(mspdi_file(encoding="x-klingon"), id="xml-unknown-encoding"),
    ],
)
def test_import_damaged_xml_raises_import_error(data: bytes) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, "p.xml", max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_xml"


@pytest.mark.parametrize(
    "task_ids", [pytest.param(("1", "1"), id="same-id"), pytest.param(("", ""), id="empty-ids")]
)
def test_import_duplicate_xer_task_ids(task_ids: tuple[str, str]) -> None:
    outcome = import_or_error(xer_file(task_ids=task_ids), "p.xer")

    if isinstance(outcome, ScheduleImportError):
        assert outcome.detail
    else:
        ids = [activity.id for activity in outcome.project.activities]
        assert len(ids) == len(set(ids))


def test_import_cycle_is_reported() -> None:
    links = [{"predecessor": "A", "successor": "B"}, {"predecessor": "B", "successor": "A"}]
    data = tiny_project(relationships=links)

    outcome = import_or_error(data, "p.json")

    if isinstance(outcome, ScheduleImportError):
        assert "cycle" in outcome.detail
    else:
        assert any("cycle" in warning.message for warning in outcome.warnings)


def test_import_utf16_xer_not_called_xml() -> None:
    data = xer_file().decode("cp1252").encode("utf-16")

    outcome = import_or_error(data, "p.xer")

    if isinstance(outcome, ScheduleImportError):
        assert outcome.code != "invalid_xml"
        assert "XML" not in outcome.detail
    else:
        assert len(outcome.project.activities) == 2


def test_import_utf16_json_decoded() -> None:
    data = tiny_project().decode("utf-8").encode("utf-16")

    result = import_schedule(data, "p.json", max_bytes=MAX_BYTES)

    assert [activity.code for activity in result.project.activities] == ["A", "B"]


def test_import_invalid_utf16_rejected() -> None:
    data = "ERMHDR".encode("utf-16-le")
    damaged = b"\xff\xfe" + data + b"\x00\xd8"  # a lone high surrogate at the end

    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(damaged, "p.xer", max_bytes=MAX_BYTES)

    assert "not valid UTF-16 text" in caught.value.detail
    assert "save it as UTF-8" in caught.value.detail


def test_import_cr_only_xer_read() -> None:
    data = xer_file().replace(b"\r\n", b"\r")

    result = import_schedule(data, "p.xer", max_bytes=MAX_BYTES)

    assert [activity.code for activity in result.project.activities] == ["A100", "A110"]
    assert result.project.activities[0].budgeted_cost == 1000


def test_import_long_json_integer_names_path() -> None:
    data = tiny_project().replace(b'"budgeted_cost": 1000', b'"budgeted_cost": ' + b"9" * 5000, 1)

    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, "p.json", max_bytes=MAX_BYTES)

    assert "$.activities[0].budgeted_cost: the number has 5,000 digits" in caught.value.detail
    assert "set_int_max_str_digits" not in caught.value.detail


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"PK\x03\x04", id="zip"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", id="office-binary"),
    ],
)
def test_import_other_format_detail_is_one_sentence(head: bytes) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(head + bytes(64), "plan.bin", max_bytes=MAX_BYTES)

    assert caught.value.detail.count("not a schedule") == 1
    assert caught.value.detail.count("upload") == 1
    assert caught.value.detail.count(";") == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        pytest.param(
            b"ERMHDR\t8.1\t2024-10-01\tProject\tadmin\tx\tdb\tGBP\r\n%T\tPROJECT\r\n"
            b"%F\tproj_id\tlast_recalc_date\r\n%R\t10\t2024-10-01 00:00\r\n%E\r\n",
            "p.xer",
            id="xer-without-tasks",
        ),
        pytest.param(
            mspdi_file(task_extra="<Summary>1</Summary>"), "p.xml", id="xml-summary-only"
        ),
    ],
)
def test_import_without_activities_rejected(data: bytes, filename: str) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, filename, max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_project"
    assert "the file contains no activities" in caught.value.detail


@pytest.mark.parametrize(
    ("data", "filename", "shown"),
    [
        pytest.param(
            xer_file().replace(b"2024-10-01 00:00", b"0001-01-01 00:00"),
            "p.xer",
            "0001-01-01 00:00",
            id="xer-year-1",
        ),
        pytest.param(
            mspdi_file().replace(b"2024-10-15T08:00:00", b"9999-12-31T08:00:00"),
            "p.xml",
            "9999-12-31 08:00",
            id="xml-year-9999",
        ),
        pytest.param(
            tiny_project().replace(b"2025-01-15T17:00:00", b"1949-12-31T17:00:00"),
            "p.json",
            "1949-12-31 17:00",
            id="json-before-1950",
        ),
    ],
)
def test_import_impossible_data_date_rejected(data: bytes, filename: str, shown: str) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, filename, max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_project"
    assert f"the data date {shown} is outside the years 1950 to 2150" in caught.value.detail


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        pytest.param(
            xer_file().replace(b"2024-10-07 08:00", b"2024-10-07T08:00:00+02:00"),
            "p.xer",
            id="xer",
        ),
        pytest.param(
            mspdi_file().replace(b"<Start>2024-10-07T08:00:00", b"<Start>2024-10-07T08:00:00Z"),
            "p.xml",
            id="xml",
        ),
    ],
)
def test_import_offset_dates_keep_local_time(data: bytes, filename: str) -> None:
    result = import_schedule(data, filename, max_bytes=MAX_BYTES)

    first = result.project.activities[0]
    assert first.planned_start == datetime(2024, 10, 7, 8)
    assert first.planned_start is not None
    assert first.planned_start.tzinfo is None
    assert not [w for w in result.warnings if w.code.endswith("_failed")]


def test_import_negative_activity_budget_rejected() -> None:
    data = xer_file(cost="-1000")

    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, "p.xer", max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_values"
    assert "activity A100: budgeted cost is negative (-1,000.00)" in caught.value.detail


def test_import_credit_in_activity_kept() -> None:
    assignments = [
        {"activity": "A", "budgeted_cost": 1000, "actual_cost": 200},
        {"activity": "A", "budgeted_cost": -100, "actual_cost": -300},
    ]
    document = json.loads(tiny_project(assignments=assignments))
    del document["activities"][0]["budgeted_cost"]

    result = import_schedule(json.dumps(document).encode(), "p.json", max_bytes=MAX_BYTES)

    first = result.project.activities[0]
    assert first.budgeted_cost == 900
    assert first.actual_cost == -100
    warning = next(w for w in result.warnings if w.code == "negative_actuals")
    assert warning.activity_codes == ("A",)


def test_import_negative_activity_estimate_names_path() -> None:
    estimate = {"optimistic": -1, "most_likely": 5, "pessimistic": 9}
    document = json.loads(tiny_project())
    document["activities"][1]["duration_estimate"] = estimate

    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(json.dumps(document).encode(), "p.json", max_bytes=MAX_BYTES)

    assert "$.activities[1].duration_estimate" in caught.value.detail
    assert "must not be either (optimistic -1)" in caught.value.detail


def test_import_idle_calendar_replaced_by_default() -> None:
    calendars = [
        {"id": "work", "hours_per_day": 8, "week": {"monday": ["08:00-16:00"]}},
        {"id": "idle", "hours_per_day": 8, "week": {}},
    ]
    document = json.loads(tiny_project(calendars=calendars))
    document["activities"][1]["calendar"] = "idle"

    result = import_schedule(json.dumps(document).encode(), "p.json", max_bytes=MAX_BYTES)

    assert [calendar.id for calendar in result.project.calendars] == ["work"]
    assert result.project.activities[1].calendar_id == "work"
    warning = next(w for w in result.warnings if w.code == "calendar_without_working_time")
    assert warning.activity_codes == ("B",)


def test_import_calendar_exception_overflow_is_warning() -> None:
    calendar = (
        b"%T\tCALENDAR\r\n%F\tclndr_id\tclndr_name\tday_hr_cnt\tclndr_data\r\n"
        b"%R\t1\tBroken\tinf\t(0||CalendarData()((0||DaysOfWeek()((0||2()((0||0(s|08:00|f|16:00)"
        b"())))))(0||Exceptions()((0||0(d|1e300)())))))\r\n"
    )
    data = xer_file().replace(b"%T\tTASK", calendar + b"%T\tTASK", 1)

    result = import_schedule(data, "p.xer", max_bytes=MAX_BYTES)

    assert result.project.calendars[0].hours_per_day == 8.0
    assert [w.code for w in result.warnings if w.code == "calendar_unreadable"] == [
        "calendar_unreadable"
    ]
