from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from schedules.errors import InvalidProjectError, MalformedScheduleError, UnsupportedFormatError
from schedules.model import (
    ActivityStatus,
    ActivityType,
    PercentCompleteType,
    RelationshipType,
    WorkInterval,
)
from schedules.mspdi import read_mspdi

STANDARD_CALENDAR = """
<Calendar><UID>1</UID><Name>Standard</Name><BaseCalendarUID>-1</BaseCalendarUID>
  <WeekDays>
    <WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>
    <WeekDay><DayType>2</DayType><DayWorking>1</DayWorking><WorkingTimes>
      <WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>
      <WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>
    </WorkingTimes></WeekDay>
    <WeekDay><DayType>7</DayType><DayWorking>0</DayWorking></WeekDay>
  </WeekDays>
  <Exceptions>
    <Exception><TimePeriod><FromDate>2024-12-25T00:00:00</FromDate>
      <ToDate>2024-12-26T23:59:00</ToDate></TimePeriod><Type>1</Type>
      <Name>Christmas</Name><DayWorking>0</DayWorking></Exception>
    <Exception><TimePeriod><FromDate>2024-01-01T00:00:00</FromDate>
      <ToDate>2034-01-01T23:59:00</ToDate></TimePeriod><Type>5</Type>
      <Name>New Year</Name><DayWorking>0</DayWorking></Exception>
  </Exceptions>
</Calendar>
<Calendar><UID>2</UID><Name>Saturday shift</Name><BaseCalendarUID>1</BaseCalendarUID>
  <WeekDays>
    <WeekDay><DayType>7</DayType><DayWorking>1</DayWorking><WorkingTimes>
      <WorkingTime><FromTime>07:00:00</FromTime><ToTime>11:00:00</ToTime></WorkingTime>
    </WorkingTimes></WeekDay>
    <WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>
      <FromDate>2024-11-04T00:00:00</FromDate><ToDate>2024-11-05T23:59:00</ToDate>
    </TimePeriod></WeekDay>
  </WeekDays>
</Calendar>
"""

TASKS = """
<Task><UID>0</UID><ID>0</ID><Name>Footbridge</Name><OutlineLevel>0</OutlineLevel>
  <Summary>1</Summary>
  <Baseline><Number>0</Number><Start>2024-10-07T08:00:00</Start>
    <Finish>2024-11-29T17:00:00</Finish></Baseline></Task>
<Task><UID>10</UID><ID>1</ID><Name>Design</Name><WBS>1</WBS><OutlineLevel>1</OutlineLevel>
  <Summary>1</Summary></Task>
<Task><UID>11</UID><ID>2</ID><Name>Survey</Name><WBS>1.1</WBS><OutlineLevel>2</OutlineLevel>
  <Start>2024-10-07T08:00:00</Start><Finish>2024-10-11T17:00:00</Finish>
  <Duration>PT40H0M0S</Duration><RemainingDuration>PT0H0M0S</RemainingDuration>
  <PercentComplete>100</PercentComplete><ActualStart>2024-10-07T08:00:00</ActualStart>
  <ActualFinish>2024-10-11T17:00:00</ActualFinish><Cost>200000</Cost>
  <ActualCost>210000</ActualCost><RemainingCost>0</RemainingCost>
  <TotalSlack>0</TotalSlack><CalendarUID>-1</CalendarUID>
  <Baseline><Number>0</Number><Start>2024-10-07T08:00:00</Start>
    <Finish>2024-10-11T17:00:00</Finish><Cost>200000</Cost></Baseline>
  <Baseline><Number>1</Number><Start>2024-09-02T08:00:00</Start>
    <Finish>2024-09-06T17:00:00</Finish><Cost>100</Cost></Baseline></Task>
<Task><UID>12</UID><ID>3</ID><Name>Drawings</Name><WBS>1.2</WBS><OutlineLevel>2</OutlineLevel>
  <Start>2024-10-14T08:00:00</Start><Finish>2024-10-25T17:00:00</Finish>
  <EarlyStart>2024-10-14T08:00:00</EarlyStart><EarlyFinish>2024-10-25T17:00:00</EarlyFinish>
  <LateStart>2024-10-21T08:00:00</LateStart><LateFinish>2024-11-01T17:00:00</LateFinish>
  <Duration>PT80H0M0S</Duration><RemainingDuration>PT48H0M0S</RemainingDuration>
  <PercentComplete>40</PercentComplete><PhysicalPercentComplete>25</PhysicalPercentComplete>
  <EarnedValueMethod>1</EarnedValueMethod><ActualStart>2024-10-14T08:00:00</ActualStart>
  <Cost>400000</Cost><ActualCost>100000</ActualCost><TotalSlack>24000</TotalSlack>
  <ConstraintType>4</ConstraintType><ConstraintDate>2024-10-14T08:00:00</ConstraintDate>
  <CalendarUID>2</CalendarUID>
  <PredecessorLink><PredecessorUID>11</PredecessorUID><Type>1</Type><LinkLag>4800</LinkLag>
    <LagFormat>7</LagFormat></PredecessorLink>
  <PredecessorLink><PredecessorUID>10</PredecessorUID><Type>1</Type></PredecessorLink></Task>
<Task><UID>13</UID><ID>4</ID><Name>Design approved</Name><WBS>2</WBS>
  <OutlineLevel>1</OutlineLevel><Milestone>1</Milestone>
  <Start>2024-11-01T17:00:00</Start><Finish>2024-11-01T17:00:00</Finish>
  <Duration>PT0H0M0S</Duration>
  <PredecessorLink><PredecessorUID>12</PredecessorUID><Type>0</Type><LinkLag>50</LinkLag>
    <LagFormat>19</LagFormat></PredecessorLink>
  <PredecessorLink><PredecessorUID>11</PredecessorUID><Type>3</Type><LinkLag>14400</LinkLag>
    <LagFormat>8</LagFormat></PredecessorLink></Task>
<Task><UID>14</UID><ID>5</ID><Name>Dropped idea</Name><OutlineLevel>1</OutlineLevel>
  <Active>0</Active></Task>
"""

RESOURCES = """
<Resources>
  <Resource><UID>0</UID><ID>0</ID><Type>1</Type><IsNull>0</IsNull></Resource>
  <Resource><UID>1</UID><Name>Engineer</Name><Type>1</Type><CalendarUID>2</CalendarUID></Resource>
  <Resource><UID>2</UID><Name>Steel</Name><Type>0</Type><MaterialLabel>t</MaterialLabel></Resource>
</Resources>
<Assignments>
  <Assignment><UID>1</UID><TaskUID>12</TaskUID><ResourceUID>1</ResourceUID>
    <Cost>400000</Cost><ActualCost>100000</ActualCost><RemainingCost>300000</RemainingCost>
    <Work>PT80H0M0S</Work><ActualWork>PT32H0M0S</ActualWork>
    <RemainingWork>PT48H0M0S</RemainingWork></Assignment>
  <Assignment><UID>2</UID><TaskUID>11</TaskUID><ResourceUID>-65535</ResourceUID>
    <Cost>0</Cost></Assignment>
</Assignments>
"""


def mspdi_xml(
    tasks: str = TASKS,
    *,
    header: str = "<StatusDate>2024-10-21T17:00:00</StatusDate><CurrencyCode>GBP</CurrencyCode>",
    calendars: str = STANDARD_CALENDAR,
    rest: str = RESOURCES,
) -> bytes:
    """Return an MSPDI document around the given fragments."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Project xmlns="http://schemas.microsoft.com/project">'
        "<Name>footbridge.xml</Name><Title>Footbridge</Title>"
        "<StartDate>2024-10-07T08:00:00</StartDate><FinishDate>2024-11-01T17:00:00</FinishDate>"
        "<CalendarUID>1</CalendarUID><MinutesPerDay>480</MinutesPerDay>"
        f"<MinutesPerWeek>2400</MinutesPerWeek>{header}"
        f"<Calendars>{calendars}</Calendars><Tasks>{tasks}</Tasks>{rest}</Project>"
    ).encode()


def test_read_mspdi_sample1(shared_data: Path) -> None:
    data = (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes()

    project, warnings = read_mspdi(data)
    by_code = {activity.code: activity for activity in project.activities}

    assert project.name == "MPXJ Sample"
    assert project.currency == "GBP"
    assert project.data_date == datetime(2003, 12, 1, 14, 14)
    assert [w.code for w in warnings] == ["currency_assumed", "status_date_missing"]
    assert len(project.activities) == 18
    assert [node.name for node in project.wbs] == [
        "First Task",
        "Recurring Task",
        "Task Relationships",
        "Resource Assignments",
    ]
    assert len(project.resources) == 2
    assert len(project.assignments) == 4
    assert by_code["2"].budgeted_cost == pytest.approx(3526.25)
    assert by_code["2"].original_duration_hours == 800.0
    assert by_code["3"].type is ActivityType.FINISH_MILESTONE
    assert by_code["21"].wbs_id == "22"


def test_read_mspdi_sample1_relationships(shared_data: Path) -> None:
    data = (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes()

    project, _ = read_mspdi(data)
    links = [
        (r.predecessor_id, r.successor_id, r.type, r.lag_hours) for r in project.relationships
    ]

    assert links == [
        ("9", "10", RelationshipType.FS, 0.0),
        ("11", "12", RelationshipType.FS, 8.0),
        ("13", "14", RelationshipType.FS, -8.0),
        ("15", "16", RelationshipType.SS, 0.0),
        ("17", "18", RelationshipType.FF, 0.0),
        ("20", "21", RelationshipType.SF, 0.0),
    ]


def test_read_mspdi_sample1_night_shift(shared_data: Path) -> None:
    data = (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes()

    project, _ = read_mspdi(data)
    night = project.calendars_by_id()["2"]

    assert night.name == "Night Shift"
    assert night.week[0] == (WorkInterval(time(23), time(0)),)
    assert night.week[6] == ()
    assert sum(interval.hours for interval in night.week[5]) == 7.0


def test_read_mspdi_task_links_lags(shared_data: Path) -> None:
    data = (shared_data / "mspdi" / "task-links-project2019-mspdi.xml").read_bytes()

    project, _ = read_mspdi(data)

    assert len(project.activities) == 16
    assert [r.lag_hours for r in project.relationships] == [0, 8, 16, 40, 80, 16, 16, 16]
    assert [r.type for r in project.relationships][5:] == [
        RelationshipType.SF,
        RelationshipType.SS,
        RelationshipType.FF,
    ]
    # TotalSlack 48000 tenths of a minute is 80 hours.
    assert project.activities[0].total_float_hours == 80.0


def test_read_mspdi_timephased_progress(shared_data: Path) -> None:
    data = (shared_data / "mspdi" / "mspditimephased.xml").read_bytes()

    project, _ = read_mspdi(data)
    by_name = {activity.name: activity for activity in project.activities}

    assert len(project.activities) == 40
    assert by_name["Task 4"].status is ActivityStatus.IN_PROGRESS
    assert by_name["Task 4"].percent_complete == 0.5
    assert by_name["Task 4"].remaining_duration_hours == 37.5
    assert by_name["Task 6"].percent_complete == 0.6
    assert by_name["Task 7"].status is ActivityStatus.COMPLETED
    assert by_name["Task 7"].percent_complete == 1.0
    assert by_name["Task 1"].status is ActivityStatus.NOT_STARTED
    assert by_name["Task 2 - 150%"].original_duration_hours == pytest.approx(
        138 + 53 / 60 + 18 / 3600
    )


def test_read_mspdi_project_fields() -> None:
    project, warnings = read_mspdi(mspdi_xml())

    assert sorted(w.code for w in warnings) == ["calendar_incomplete", "summary_relationship"]
    assert project.name == "Footbridge"
    assert project.currency == "GBP"
    assert project.data_date == datetime(2024, 10, 21, 17)
    assert project.planned_start == datetime(2024, 10, 7, 8)
    assert project.planned_finish == datetime(2024, 11, 29, 17)
    assert project.default_calendar_id == "1"
    assert [a.code for a in project.activities] == ["2", "3", "4"]
    assert project.wbs[0].code == "1"


def test_read_mspdi_baseline_and_costs() -> None:
    project, _ = read_mspdi(mspdi_xml())
    survey = project.activities[0]

    assert survey.status is ActivityStatus.COMPLETED
    assert survey.baseline_start == datetime(2024, 10, 7, 8)
    assert survey.planned_finish == datetime(2024, 10, 11, 17)
    assert survey.budgeted_cost == 2000.0
    assert survey.actual_cost == 2100.0
    assert survey.remaining_cost == 0.0
    assert survey.wbs_id == "10"
    assert survey.calendar_id is None


def test_read_mspdi_physical_percent_and_float() -> None:
    project, _ = read_mspdi(mspdi_xml())
    drawings = project.activities[1]

    assert drawings.percent_complete_type is PercentCompleteType.PHYSICAL
    assert drawings.percent_complete == 0.25
    assert drawings.remaining_duration_hours == 48.0
    assert drawings.remaining_cost == 3000.0
    assert drawings.total_float_hours == 40.0
    assert drawings.late_finish == datetime(2024, 11, 1, 17)
    assert drawings.constraint_type == "start_on_or_after"
    assert drawings.planned_start == datetime(2024, 10, 14, 8)
    assert drawings.baseline_start is None


def test_read_mspdi_link_lag_formats() -> None:
    project, warnings = read_mspdi(mspdi_xml())
    links = {(r.predecessor_id, r.successor_id): r for r in project.relationships}
    summary_warning = next(w for w in warnings if w.code == "summary_relationship")

    assert links[("11", "12")].lag_hours == 8.0
    # 50 percent of the 80-hour predecessor.
    assert links[("12", "13")].lag_hours == 40.0
    assert links[("12", "13")].type is RelationshipType.FF
    # One elapsed day (1,440 minutes) is 24 h x 40/168 working hours.
    assert links[("11", "13")].lag_hours == pytest.approx(24 * 40 / 168)
    assert links[("11", "13")].type is RelationshipType.SS
    assert ("10", "12") not in links
    assert "1 relationships start from summary tasks" in summary_warning.message


def test_read_mspdi_calendars_and_exceptions() -> None:
    project, warnings = read_mspdi(mspdi_xml())
    standard, saturday = project.calendars

    assert standard.week[0] == (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
    assert standard.week[5] == ()
    assert standard.intervals_on(date(2024, 12, 25)) == ()
    assert standard.intervals_on(date(2024, 12, 26)) == ()
    assert standard.intervals_on(date(2024, 12, 27)) == standard.week[4]
    assert saturday.week[5] == (WorkInterval(time(7), time(11)),)
    assert saturday.week[0] == standard.week[0]
    assert saturday.intervals_on(date(2024, 11, 4)) == ()
    assert saturday.intervals_on(date(2024, 12, 25)) == ()
    calendar_warnings = [w for w in warnings if w.code.startswith("calendar")]
    assert [w.code for w in calendar_warnings] == ["calendar_incomplete"]
    assert "New Year" in calendar_warnings[0].message


def test_read_mspdi_resources_and_assignments() -> None:
    project, _ = read_mspdi(mspdi_xml())

    assert [(r.id, r.name, r.type, r.unit) for r in project.resources] == [
        ("1", "Engineer", "labor", None),
        ("2", "Steel", "material", "t"),
    ]
    assert project.assignments[0].budgeted_cost == 4000.0
    assert project.assignments[0].actual_units == 32.0
    assert project.assignments[1].resource_id is None


def test_read_mspdi_inactive_task_skipped() -> None:
    project, _ = read_mspdi(mspdi_xml())

    assert "Dropped idea" not in [activity.name for activity in project.activities]


def test_read_mspdi_without_namespace() -> None:
    data = mspdi_xml().replace(b' xmlns="http://schemas.microsoft.com/project"', b"")

    project, _ = read_mspdi(data)

    assert len(project.activities) == 3


def test_read_mspdi_data_date_falls_back_to_start() -> None:
    project, warnings = read_mspdi(mspdi_xml(header="<CurrencyCode>EUR</CurrencyCode>"))

    assert project.data_date == datetime(2024, 10, 7, 8)
    assert "status_date_missing" in [w.code for w in warnings]
    assert "project start" in next(w.message for w in warnings if w.code == "status_date_missing")


def test_read_mspdi_without_any_date_rejected() -> None:
    data = mspdi_xml().replace(b"<StartDate>2024-10-07T08:00:00</StartDate>", b"")
    data = data.replace(b"<StatusDate>2024-10-21T17:00:00</StatusDate>", b"")

    with pytest.raises(InvalidProjectError) as caught:
        read_mspdi(data)

    assert caught.value.code == "invalid_project"


def test_read_mspdi_other_xml_rejected() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        read_mspdi(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>")

    assert caught.value.code == "unsupported_format"
    assert "svg" in caught.value.detail


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol4;</Name></Project>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&secret;</Name></Project>"""


@pytest.mark.parametrize(
    "data",
    [pytest.param(BILLION_LAUGHS, id="billion-laughs"), pytest.param(EXTERNAL_ENTITY, id="xxe")],
)
def test_read_mspdi_entities_rejected(data: bytes) -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        read_mspdi(data)

    assert caught.value.code == "xml_entities_forbidden"


def test_read_mspdi_malformed_xml_rejected() -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        read_mspdi(mspdi_xml()[:-40])

    assert caught.value.code == "invalid_xml"


def one_task(fields: str) -> bytes:
    """Return an MSPDI file with one 40-hour task (UID 7) carrying ``fields``."""
    task = (
        "<Task><UID>7</UID><ID>1</ID><Name>Deck</Name><OutlineLevel>1</OutlineLevel>"
        f"<Start>2024-10-07T08:00:00</Start><Duration>PT40H0M0S</Duration>{fields}</Task>"
    )
    return mspdi_xml(task, rest="")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            "<Cost>NaN</Cost>", "Task UID 7 has Cost 'NaN', which is not a finite number", id="nan"
        ),
        pytest.param(
            "<ActualCost>1e400</ActualCost>",
            "Task UID 7 has ActualCost '1e400', which is not a finite number",
            id="overflow",
        ),
        pytest.param(
            "<TotalSlack>lots</TotalSlack>",
            "Task UID 7 has TotalSlack 'lots', which is not a finite number",
            id="text",
        ),
        pytest.param(
            "<PercentComplete>140</PercentComplete>",
            "Task UID 7 has PercentComplete '140', which is not a percentage 0 to 100",
            id="percent-over-100",
        ),
        pytest.param(
            "<RemainingDuration>16 hours</RemainingDuration>",
            "Task UID 7 has RemainingDuration '16 hours', which is not a duration such as",
            id="duration-text",
        ),
        pytest.param(
            f"<Work>PT{'9' * 400}H0M0S</Work>",
            "Task UID 7 has Work 'PT99999",
            id="duration-overflow",
        ),
        pytest.param(
            "<PredecessorLink><PredecessorUID>3</PredecessorUID><LinkLag>inf</LinkLag>"
            "</PredecessorLink>",
            "PredecessorLink PredecessorUID 3 has LinkLag 'inf'",
            id="link-lag",
        ),
    ],
)
def test_read_mspdi_invalid_number_rejected(fields: str, expected: str) -> None:
    with pytest.raises(InvalidProjectError) as caught:
        read_mspdi(one_task(fields))

    assert caught.value.code == "invalid_values"
    assert expected in caught.value.detail


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            "<ActualStart>last Monday</ActualStart>",
            "Task UID 7 has ActualStart 'last Monday'",
            id="actual-start",
        ),
        pytest.param(
            "<ActualFinish>1e308</ActualFinish>",
            "Task UID 7 has ActualFinish '1e308'",
            id="actual-finish",
        ),
        pytest.param(
            "<ConstraintType>4</ConstraintType><ConstraintDate>2024-13-45T08:00:00"
            "</ConstraintDate>",
            "Task UID 7 has ConstraintDate '2024-13-45T08:00:00'",
            id="constraint-date",
        ),
    ],
)
def test_read_mspdi_invalid_date_rejected(fields: str, expected: str) -> None:
    with pytest.raises(InvalidProjectError) as caught:
        read_mspdi(one_task(fields))

    assert caught.value.code == "invalid_values"
    assert expected in caught.value.detail


@pytest.mark.parametrize("text", ["inf", "4.5", "99999" * 1000])
def test_read_mspdi_non_integer_code_rejected(text: str) -> None:
    with pytest.raises(MalformedScheduleError) as caught:
        read_mspdi(one_task(f"<ConstraintType>{text}</ConstraintType>"))

    assert caught.value.code == "invalid_xml"
    assert f"Task UID 7 has ConstraintType {text[:24]!r}, which is not an integer code" in (
        caught.value.detail
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("<MinutesPerDay>1500</MinutesPerDay>", "MinutesPerDay is 1500", id="day"),
        pytest.param("<MinutesPerWeek>-60</MinutesPerWeek>", "MinutesPerWeek is -60", id="week"),
    ],
)
def test_read_mspdi_day_length_rejected(header: str, expected: str) -> None:
    data = one_task("").replace(b"<MinutesPerDay>480</MinutesPerDay>", header.encode())
    data = data.replace(b"<MinutesPerWeek>2400</MinutesPerWeek>", b"")

    with pytest.raises(InvalidProjectError) as caught:
        read_mspdi(data)

    assert caught.value.code == "invalid_values"
    assert expected in caught.value.detail


def test_read_mspdi_zero_day_length_uses_default() -> None:
    data = one_task("").replace(b"<MinutesPerDay>480", b"<MinutesPerDay>0")

    project, _ = read_mspdi(data.replace(b"PT40H0M0S", b"P2D"))

    assert project.activities[0].original_duration_hours == 16.0


def test_read_mspdi_offset_dropped_from_dates() -> None:
    project, _ = read_mspdi(one_task("<ActualStart>2024-10-07T08:00:00+05:30</ActualStart>"))

    assert project.activities[0].actual_start == datetime(2024, 10, 7, 8)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        pytest.param("x-klingon", "unknown encoding: x-klingon", id="unknown"),
        pytest.param("utf-32", "multi-byte encodings are not supported", id="utf-32"),
    ],
)
def test_read_mspdi_unreadable_encoding_rejected(encoding: str, expected: str) -> None:
    data = mspdi_xml().replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())

    with pytest.raises(MalformedScheduleError) as caught:
        read_mspdi(data)

    assert caught.value.code == "invalid_xml"
    assert f"its declared encoding {encoding!r} ({expected})" in caught.value.detail
    assert "save the file as UTF-8" in caught.value.detail


def test_read_mspdi_exception_at_last_date_is_warning() -> None:
    exception = (
        "<Calendar><UID>1</UID><Name>Standard</Name><Exceptions><Exception><TimePeriod>"
        "<FromDate>9999-12-30T00:00:00</FromDate><ToDate>9999-12-31T23:59:00</ToDate>"
        "</TimePeriod><Type>1</Type><DayWorking>0</DayWorking></Exception></Exceptions></Calendar>"
    )

    project, warnings = read_mspdi(mspdi_xml(calendars=exception))

    assert project.calendars == ()
    assert "calendar_unreadable" in [warning.code for warning in warnings]
