from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path

import pytest

from schedules.errors import InvalidProjectError, MalformedScheduleError
from schedules.model import (
    ActivityStatus,
    ActivityType,
    PercentCompleteType,
    Project,
    RelationshipType,
    WorkInterval,
)
from schedules.xer import read_xer
from schedules.xer_tables import decode_xer, read_xer_tables

XerTableRows = Mapping[str, Sequence[Mapping[str, str]]]

CALENDAR_5X8 = (
    "(0||CalendarData()(  (0||DaysOfWeek()(    (0||1()())"
    + "".join(f"    (0||{day}()(      (0||0(s|08:00|f|16:00)())))" for day in range(2, 7))
    + "    (0||7()())))  (0||Exceptions()(    (0||0(d|45651)())))))"
)


def xer_bytes(
    tables: XerTableRows, *, currency: str = "GBP", encoding: str = "cp1252", end: bool = True
) -> bytes:
    """Write tables as an XER export: the header, each table's fields and records, then %E."""
    lines = ["\t".join(["ERMHDR", "8.1", "2024-10-01", "Project", "admin", "x", "db", currency])]
    for name, rows in tables.items():
        fields = list(dict.fromkeys(key for row in rows for key in row))
        lines.append(f"%T\t{name}")
        lines.append("\t".join(["%F", *fields]))
        lines.extend("\t".join(["%R", *(row.get(key, "") for key in fields)]) for row in rows)
    if end:
        lines.append("%E")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def task_row(task_id: str, code: str, **fields: str) -> dict[str, str]:
    """Return a not-started 40-hour TASK row on calendar 1, with ``fields`` overriding."""
    row = {
        "task_id": task_id,
        "proj_id": "10",
        "wbs_id": "100",
        "clndr_id": "1",
        "phys_complete_pct": "0",
        "complete_pct_type": "CP_Drtn",
        "task_type": "TT_Task",
        "status_code": "TK_NotStart",
        "task_code": code,
        "task_name": f"Activity {code}",
        "total_float_hr_cnt": "0",
        "free_float_hr_cnt": "0",
        "remain_drtn_hr_cnt": "40",
        "target_drtn_hr_cnt": "40",
        "act_work_qty": "0",
        "remain_work_qty": "0",
        "act_equip_qty": "0",
        "remain_equip_qty": "0",
        "act_start_date": "",
        "act_end_date": "",
        "early_start_date": "2024-10-07 08:00",
        "early_end_date": "2024-10-11 16:00",
        "late_start_date": "2024-10-07 08:00",
        "late_end_date": "2024-10-11 16:00",
        "target_start_date": "2024-10-07 08:00",
        "target_end_date": "2024-10-11 16:00",
        "cstr_type": "",
        "cstr_date": "",
    }
    row.update(fields)
    return row


def small_project_tables(**extra: Sequence[Mapping[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Return one project (id 10) with a calendar, a WBS, three activities in a chain."""
    tables: dict[str, list[dict[str, str]]] = {
        "PROJECT": [
            {
                "proj_id": "10",
                "proj_short_name": "BRIDGE",
                "clndr_id": "1",
                "last_recalc_date": "2024-10-01 00:00",
                "plan_start_date": "2024-10-07 08:00",
                "plan_end_date": "2024-10-25 16:00",
                "name_sep_char": ".",
            }
        ],
        "CALENDAR": [
            {
                "clndr_id": "1",
                "clndr_name": "5 x 8",
                "day_hr_cnt": "8",
                "week_hr_cnt": "40",
                "clndr_data": CALENDAR_5X8,
            }
        ],
        "PROJWBS": [
            {
                "wbs_id": "100",
                "proj_id": "10",
                "proj_node_flag": "Y",
                "wbs_short_name": "BRIDGE",
                "wbs_name": "Footbridge",
                "parent_wbs_id": "1",
            },
            {
                "wbs_id": "101",
                "proj_id": "10",
                "proj_node_flag": "N",
                "wbs_short_name": "DES",
                "wbs_name": "Design",
                "parent_wbs_id": "100",
            },
        ],
        "TASK": [
            task_row("1", "A100"),
            task_row(
                "2",
                "A110",
                wbs_id="101",
                early_start_date="2024-10-14 08:00",
                early_end_date="2024-10-18 16:00",
                target_start_date="2024-10-14 08:00",
                target_end_date="2024-10-18 16:00",
            ),
            task_row(
                "3",
                "A120",
                wbs_id="101",
                early_start_date="2024-10-21 08:00",
                early_end_date="2024-10-25 16:00",
                target_start_date="2024-10-21 08:00",
                target_end_date="2024-10-25 16:00",
            ),
        ],
        "TASKPRED": [
            {"task_id": "2", "pred_task_id": "1", "proj_id": "10", "pred_type": "PR_FS"},
            {"task_id": "3", "pred_task_id": "2", "proj_id": "10", "pred_type": "PR_FS"},
        ],
    }
    for name, rows in extra.items():
        tables[name] = [dict(row) for row in rows]
    return tables


@pytest.fixture(scope="module")
def real_xer(shared_data: Path) -> bytes:
    return (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()


@pytest.fixture(scope="module")
def real_project(real_xer: bytes) -> Project:
    project, _ = read_xer(real_xer)
    return project


def test_real_xer_project_header(real_project: Project) -> None:
    project = real_project

    assert project.source_id == "549"
    assert project.code == "HS2-LWM-IMP-040-20"
    assert project.name == "ENABLING WORKS WORK PACKAGE STRATEGY P10 : AREA CENTRAL"
    assert project.data_date == datetime(2017, 9, 16)
    assert project.currency == "GBP"
    assert project.planned_start == datetime(2016, 11, 17)
    assert project.default_calendar_id == "639"
    assert project.source_format == "xer"


def test_real_xer_row_counts(real_project: Project) -> None:
    project = real_project

    assert len(project.activities) == 3994
    assert len(project.relationships) == 5966
    assert len(project.wbs) == 2266
    assert len(project.resources) == 180
    assert len(project.assignments) == 692
    assert len(project.calendars) == 6


def test_real_xer_activity_types_and_statuses(real_project: Project) -> None:
    activities = real_project.activities

    types = [activity.type for activity in activities]
    statuses = [activity.status for activity in activities]

    assert types.count(ActivityType.TASK) == 2635
    assert types.count(ActivityType.FINISH_MILESTONE) == 1037
    assert types.count(ActivityType.START_MILESTONE) == 319
    assert types.count(ActivityType.LEVEL_OF_EFFORT) == 3
    assert statuses.count(ActivityStatus.NOT_STARTED) == 3301
    assert statuses.count(ActivityStatus.IN_PROGRESS) == 170
    assert statuses.count(ActivityStatus.COMPLETED) == 523


def test_real_xer_costs_to_the_cent(real_project: Project) -> None:
    project = real_project

    budgeted = sum(assignment.budgeted_cost for assignment in project.assignments)
    actual = sum(assignment.actual_cost for assignment in project.assignments)
    remaining = sum(assignment.remaining_cost for assignment in project.assignments)

    assert round(budgeted, 2) == 215_918_496.41
    assert round(actual, 2) == 16_001_858.60
    assert round(remaining, 2) == 201_650_471.06
    assert round(project.budget_at_completion, 2) == 215_918_496.41
    assert round(project.actual_cost, 2) == 16_001_858.60
    assert round(sum(a.remaining_cost for a in project.activities), 2) == 201_650_471.06


def test_real_xer_calendars(real_project: Project) -> None:
    calendars = real_project.calendars_by_id()

    assert sorted(calendars) == ["638", "639", "640", "641", "642", "643"]
    assert {calendar.hours_per_day for calendar in calendars.values()} == {8.0}
    assert {cid: c.hours_per_week for cid, c in calendars.items()} == {
        "638": 56.0,
        "639": 40.0,
        "640": 40.0,
        "641": 56.0,
        "642": 40.0,
        "643": 40.0,
    }


def test_real_xer_calendar_week_starts_on_monday(real_project: Project) -> None:
    calendar = real_project.calendars_by_id()["640"]

    monday, sunday = calendar.week[0], calendar.week[6]

    assert monday == (
        WorkInterval(time(8), time(12)),
        WorkInterval(time(13), time(17)),
    )
    assert sunday == ()
    assert calendar.week[5] == ()
    # Exception 42907 is an Excel serial date: 2017-06-21 worked 08:00 to 16:00.
    assert calendar.exceptions == {date(2017, 6, 21): (WorkInterval(time(8), time(16)),)}


def test_real_xer_calendar_holidays(real_project: Project) -> None:
    calendar = real_project.calendars_by_id()["639"]

    # 2015-05-25 (serial 42149) is the spring bank holiday on calendar 639.
    assert calendar.intervals_on(date(2015, 5, 25)) == ()
    assert calendar.intervals_on(date(2015, 5, 26)) == (WorkInterval(time(8), time(16)),)


def test_real_xer_relationships(real_project: Project) -> None:
    project = real_project
    ids = {activity.id for activity in project.activities}

    lags = [relationship.lag_hours for relationship in project.relationships]
    types = [relationship.type for relationship in project.relationships]

    assert all(r.predecessor_id in ids and r.successor_id in ids for r in project.relationships)
    assert sum(lag < 0 for lag in lags) == 56
    assert sum(lag > 0 for lag in lags) == 164
    assert types.count(RelationshipType.FS) == 5573
    assert types.count(RelationshipType.SS) == 266
    assert types.count(RelationshipType.FF) == 127


def test_real_xer_far_future_planned_finishes(real_project: Project) -> None:
    far = [a for a in real_project.activities if a.planned_finish and a.planned_finish.year > 2100]

    assert len(far) == 19
    assert all(activity.code.startswith("COST-") for activity in far)
    assert max(activity.planned_finish for activity in far if activity.planned_finish) == (
        datetime(4637, 11, 26)
    )


def test_real_xer_activity_fields(real_project: Project) -> None:
    by_code = {activity.code: activity for activity in real_project.activities}

    first = by_code["P1EWCC-FWP03-5710"]
    cost = by_code["COST-1060"]

    assert first.original_duration_hours == 346.0
    assert first.total_float_hours == 343.0
    assert first.calendar_id == "640"
    assert first.constraint_type == "start_on_or_after"
    assert first.constraint_date == datetime(2018, 11, 1, 8)
    assert first.planned_start == datetime(2018, 11, 29, 16)
    assert first.late_finish == datetime(2019, 3, 29, 17)
    assert cost.status is ActivityStatus.IN_PROGRESS
    assert cost.actual_start == datetime(2017, 2, 21)
    assert cost.remaining_duration_hours == 432.0


def test_real_xer_decodes_windows_1252(real_xer: bytes) -> None:
    text, encoding = decode_xer(real_xer)

    assert encoding == "cp1252"
    assert "%R\t1\t2\t£\t" in text


def test_real_xer_tables_present(real_xer: bytes) -> None:
    tables = read_xer_tables(real_xer)

    assert tables.header[-1] == "GBP"
    assert len(tables.rows("TASK")) == 3994
    assert len(tables.rows("TASKPRED")) == 5966
    assert len(tables.rows("TASKRSRC")) == 692
    assert tables.warnings == ()


def test_read_xer_small_project_maps_fields() -> None:
    data = xer_bytes(small_project_tables())

    project, warnings = read_xer(data)

    assert warnings == []
    assert project.name == "Footbridge"
    assert [node.code for node in project.wbs] == ["BRIDGE", "BRIDGE.DES"]
    assert project.wbs[0].parent_id is None
    assert project.wbs[1].parent_id == "100"
    assert [a.code for a in project.activities] == ["A100", "A110", "A120"]
    assert project.relationships[0].predecessor_id == "1"
    assert project.relationships[0].successor_id == "2"
    assert project.calendars[0].exceptions == {date(2024, 12, 25): ()}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"status_code": "TK_Complete"}, 1.0, id="completed"),
        pytest.param({"phys_complete_pct": "60"}, 0.0, id="not-started"),
        pytest.param(
            {
                "status_code": "TK_Active",
                "complete_pct_type": "CP_Phys",
                "phys_complete_pct": "35",
            },
            0.35,
            id="physical",
        ),
        pytest.param(
            {"status_code": "TK_Active", "remain_drtn_hr_cnt": "30", "target_drtn_hr_cnt": "40"},
            0.25,
            id="duration",
        ),
        pytest.param(
            {"status_code": "TK_Active", "remain_drtn_hr_cnt": "50", "target_drtn_hr_cnt": "40"},
            0.0,
            id="duration-overrun-clamped",
        ),
        pytest.param(
            {
                "status_code": "TK_Active",
                "complete_pct_type": "CP_Units",
                "act_work_qty": "12",
                "remain_work_qty": "30",
                "act_equip_qty": "3",
                "remain_equip_qty": "15",
            },
            0.25,
            id="units",
        ),
    ],
)
def test_read_xer_percent_complete_by_type(fields: dict[str, str], expected: float) -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", **fields)], TASKPRED=[])

    project, _ = read_xer(xer_bytes(tables))

    assert project.activities[0].percent_complete == pytest.approx(expected)


def test_read_xer_percent_type_recorded() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", complete_pct_type="CP_Units")])

    project, _ = read_xer(xer_bytes(tables))

    assert project.activities[0].percent_complete_type is PercentCompleteType.UNITS


def test_read_xer_rolls_assignments_and_expenses_into_cost() -> None:
    assignment = {
        "taskrsrc_id": "900",
        "task_id": "1",
        "proj_id": "10",
        "rsrc_id": "50",
        "target_cost": "1000.50",
        "act_reg_cost": "200.25",
        "act_ot_cost": "50",
        "remain_cost": "800",
        "target_qty": "40",
        "act_reg_qty": "8",
        "act_ot_qty": "2",
        "remain_qty": "30",
    }
    expense = {
        "cost_item_id": "7",
        "task_id": "1",
        "proj_id": "10",
        "target_cost": "300",
        "act_cost": "100",
        "remain_cost": "200",
    }
    tables = small_project_tables(TASKRSRC=[assignment], PROJCOST=[expense])

    project, _ = read_xer(xer_bytes(tables))
    activity = project.activities[0]

    assert activity.budgeted_cost == pytest.approx(1300.50)
    assert activity.actual_cost == pytest.approx(350.25)
    assert activity.remaining_cost == pytest.approx(1000.0)
    assert activity.budgeted_units == pytest.approx(40.0)
    assert activity.actual_units == pytest.approx(10.0)
    assert activity.remaining_units == pytest.approx(30.0)
    assert [a.resource_id for a in project.assignments] == ["50", None]


def test_read_xer_keeps_odd_bytes_in_text() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", task_name="Parapet £5k \x81 end")])

    project, _ = read_xer(xer_bytes(tables, encoding="latin-1"))

    assert project.activities[0].name == "Parapet £5k \ufffd end"


def test_read_xer_utf8_file() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", task_name="Brücke – Pfeiler")])

    project, _ = read_xer(xer_bytes(tables, encoding="utf-8"))

    assert project.activities[0].name == "Brücke – Pfeiler"


def test_read_xer_bom_then_windows_1252() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", task_name="Parapet £5k – end")])
    data = b"\xef\xbb\xbf" + xer_bytes(tables, encoding="cp1252")

    project, _ = read_xer(data)
    _, encoding = decode_xer(data)

    assert project.activities[0].name == "Parapet £5k – end"
    assert encoding == "cp1252"


def test_read_xer_bom_then_utf8() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", task_name="Brücke – Pfeiler")])
    data = b"\xef\xbb\xbf" + xer_bytes(tables, encoding="utf-8")

    project, _ = read_xer(data)
    _, encoding = decode_xer(data)

    assert project.activities[0].name == "Brücke – Pfeiler"
    assert encoding == "utf-8"


def test_read_xer_currency_from_currtype() -> None:
    currencies = [
        {"curr_id": "1", "curr_short_name": "EUR", "base_exch_rate": "1"},
        {"curr_id": "2", "curr_short_name": "USD", "base_exch_rate": "1.1"},
    ]
    data = xer_bytes(small_project_tables(CURRTYPE=currencies), currency="")

    project, _ = read_xer(data)

    assert project.currency == "EUR"


def test_read_xer_several_projects_imports_first_with_warning() -> None:
    tables = small_project_tables()
    tables["PROJECT"].append({"proj_id": "11", "proj_short_name": "OTHER"})

    project, warnings = read_xer(xer_bytes(tables))

    assert project.code == "BRIDGE"
    assert [warning.code for warning in warnings] == ["multiple_projects"]
    assert "11 (OTHER)" in warnings[0].message


def test_read_xer_project_id_selects_project() -> None:
    tables = small_project_tables()
    tables["PROJECT"].insert(
        0, {"proj_id": "11", "proj_short_name": "OTHER", "last_recalc_date": "2024-01-01 00:00"}
    )

    project, _ = read_xer(xer_bytes(tables), project_id="BRIDGE")

    assert project.source_id == "10"
    assert len(project.activities) == 3


def test_read_xer_unknown_project_id_rejected() -> None:
    data = xer_bytes(small_project_tables())

    with pytest.raises(InvalidProjectError) as caught:
        read_xer(data, project_id="99")

    assert caught.value.code == "invalid_project"
    assert "10 (BRIDGE)" in caught.value.detail


def test_read_xer_without_end_marker_is_truncated() -> None:
    data = xer_bytes(small_project_tables(), end=False)

    with pytest.raises(MalformedScheduleError) as caught:
        read_xer(data)

    assert caught.value.code == "truncated"
    assert "TASKPRED" in caught.value.detail


def test_read_xer_header_only_is_truncated() -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        read_xer_tables(b"ERMHDR\t8.0\n")

    assert caught.value.code == "truncated"
    assert "before any table" in caught.value.detail
    assert "table none" not in caught.value.detail


def test_read_xer_cut_mid_record_is_truncated() -> None:
    data = xer_bytes(small_project_tables())
    cut = data[: data.index(b"A110") + 2]

    with pytest.raises(MalformedScheduleError) as caught:
        read_xer(cut)

    assert caught.value.code == "truncated"
    assert "TASK" in caught.value.detail


def test_read_xer_short_record_mid_file_is_padded() -> None:
    data = xer_bytes(small_project_tables()).replace(b"\tA100\t", b"\tA100\r\n", 1)

    project, warnings = read_xer(data)

    assert project.activities[0].code == "A100"
    assert project.activities[0].name == ""
    assert {warning.code for warning in warnings} == {"xer_record_length", "xer_stray_lines"}


def test_read_xer_invalid_numbers_read_as_empty() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", total_float_hr_cnt="n/a")])

    project, warnings = read_xer(xer_bytes(tables))

    assert project.activities[0].total_float_hours is None
    assert [warning.code for warning in warnings] == ["invalid_values"]
    assert "total_float_hr_cnt (1)" in warnings[0].message


def test_read_xer_missing_header_rejected() -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        read_xer(b"%T\tPROJECT\r\n%E\r\n")

    assert caught.value.code == "not_xer"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("nan", id="nan"),
        pytest.param("-inf", id="infinity"),
        pytest.param("1e400", id="overflow"),
        pytest.param("2e15", id="beyond-limit"),
        pytest.param("12,000", id="not-a-number"),
    ],
)
def test_read_xer_unreadable_cost_rejected(text: str) -> None:
    expense = {"cost_item_id": "7", "task_id": "1", "proj_id": "10", "act_cost": text}
    tables = small_project_tables(PROJCOST=[expense])

    with pytest.raises(InvalidProjectError) as caught:
        read_xer(xer_bytes(tables))

    assert caught.value.code == "invalid_values"
    assert f"PROJCOST cost_item_id 7 (task_id 1): act_cost is {text!r}" in caught.value.detail
    assert "correct them in P6" in caught.value.detail


@pytest.mark.parametrize(
    "text", [pytest.param("nan", id="nan"), pytest.param("inf", id="infinity")]
)
def test_read_xer_non_finite_float_read_as_empty(text: str) -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", total_float_hr_cnt=text)])

    project, warnings = read_xer(xer_bytes(tables))

    assert project.activities[0].total_float_hours is None
    assert [warning.code for warning in warnings] == ["invalid_values"]


def test_read_xer_physical_percent_limited_to_range() -> None:
    row = task_row(
        "1", "A100", status_code="TK_Active", complete_pct_type="CP_Phys", phys_complete_pct="140"
    )

    project, warnings = read_xer(xer_bytes(small_project_tables(TASK=[row])))

    assert project.activities[0].percent_complete == 1.0
    assert [warning.code for warning in warnings] == ["percent_out_of_range"]
    assert "phys_complete_pct (1)" in warnings[0].message


def test_read_xer_offset_dropped_from_dates() -> None:
    row = task_row("1", "A100", target_start_date="2024-10-07T08:00:00-05:00")

    project, _ = read_xer(xer_bytes(small_project_tables(TASK=[row])))

    assert project.activities[0].planned_start == datetime(2024, 10, 7, 8)


@pytest.mark.parametrize(
    ("day_hours", "expected"),
    [
        pytest.param("7.5", 7.5, id="plain"),
        pytest.param("inf", 8.0, id="infinity"),
        pytest.param("nan", 8.0, id="nan"),
        pytest.param("30", 8.0, id="over-a-day"),
    ],
)
def test_read_xer_calendar_day_hours(day_hours: str, expected: float) -> None:
    tables = small_project_tables()
    tables["CALENDAR"][0]["day_hr_cnt"] = day_hours

    project, _ = read_xer(xer_bytes(tables))

    assert project.calendars[0].hours_per_day == expected


def test_read_xer_tables_cr_only_line_ends() -> None:
    data = xer_bytes(small_project_tables()).replace(b"\r\n", b"\r")

    tables = read_xer_tables(data)

    assert [row["task_code"] for row in tables.rows("TASK")] == ["A100", "A110", "A120"]


def test_read_xer_tables_lone_cr_kept_in_field() -> None:
    tables = small_project_tables(TASK=[task_row("1", "A100", task_name="Deck\rpour")])

    read = read_xer_tables(xer_bytes(tables))

    assert read.rows("TASK")[0]["task_name"] == "Deck\rpour"
