"""Microsoft Project XML (MSPDI) reader.

The XML is parsed with defusedxml, which rejects DTDs and so entity expansion and external
entities. Summary tasks become WBS nodes, and every other task is an activity. MSPDI writes
lags and slack in tenths of a minute.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element

from schedules.constraints import MSP_CONSTRAINTS
from schedules.errors import InvalidProjectError, UnsupportedFormatError
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    Calendar,
    ImportWarning,
    PercentCompleteType,
    Project,
    Relationship,
    RelationshipType,
    Resource,
    WbsNode,
)
from schedules.mspdi_calendar import read_calendars
from schedules.mspdi_elements import (
    ElementReader,
    baseline_date,
    baseline_hours,
    baseline_money,
    parse_xml,
)

NAMESPACE = "http://schemas.microsoft.com/project"
_LINK_TYPES = {
    "0": RelationshipType.FF,
    "1": RelationshipType.FS,
    "2": RelationshipType.SF,
    "3": RelationshipType.SS,
}
_RESOURCE_TYPES = {"0": "material", "1": "labor", "2": "cost"}
# LagFormat values whose lag runs on elapsed (24 x 7) time, and those that give a percentage.
_ELAPSED_LAG_FORMATS = {"4", "6", "8", "10", "12", "20", "36", "38", "40", "42", "44", "52"}
_PERCENT_LAG_FORMATS = {"19", "20", "51", "52"}
_UNASSIGNED_RESOURCE = "-65535"
_CURRENCY_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₹": "INR"}


def read_mspdi(data: bytes) -> tuple[Project, list[ImportWarning]]:
    """Read a Microsoft Project XML file.

    Raises:
        MalformedScheduleError: the XML is unsafe or not well formed.
        UnsupportedFormatError: the XML is not a Microsoft Project file.
    """
    root = parse_xml(data)
    if root.tag not in (f"{{{NAMESPACE}}}Project", "Project"):
        raise UnsupportedFormatError(
            "unsupported_format",
            f"the XML root element is {root.tag!r}, not Microsoft Project's Project element "
            f"in namespace {NAMESPACE}; export the schedule as Microsoft Project XML",
        )
    reader = ElementReader(namespace=root.tag[: -len("Project")])
    # Project's defaults when the options are absent or 0: an 8-hour day, a 40-hour week.
    reader.hours_per_day = _minutes(root, "MinutesPerDay", 24 * 60, reader) / 60 or 8.0
    reader.hours_per_week = _minutes(root, "MinutesPerWeek", 7 * 24 * 60, reader) / 60 or 40.0
    return _project(root, reader), reader.warnings


def _minutes(root: Element, name: str, limit: float, reader: ElementReader) -> float:
    """Return the length of day or week a project option gives in minutes, 0 when absent."""
    minutes = reader.number(root, name) or 0.0
    if not 0 <= minutes <= limit:
        raise InvalidProjectError(
            f"the project's {name} is {minutes:g}, outside 0 to {limit:g}; correct the "
            "calendar options in Microsoft Project and export the file again",
            code="invalid_values",
        )
    return minutes


def _project(root: Element, reader: ElementReader) -> Project:
    ns = reader.namespace
    tasks = [t for t in root.iterfind(f"{ns}Tasks/{ns}Task") if reader.text(t, "IsNull") != "1"]
    project_task = next((t for t in tasks if reader.text(t, "OutlineLevel") == "0"), None)
    tasks = [t for t in tasks if t is not project_task and _is_scheduled(t, reader)]
    wbs, parents = _outline(tasks, reader)
    summary_ids = {node.id for node in wbs}
    work = [t for t in tasks if reader.text(t, "UID") not in summary_ids]
    baseline = reader.baseline(project_task) if project_task is not None else None
    planned_start = reader.date(baseline, "Start") if baseline is not None else None
    planned_finish = reader.date(baseline, "Finish") if baseline is not None else None
    calendar_uid = reader.text(root, "CalendarUID")
    return Project(
        source_id=reader.text(root, "GUID") or reader.text(root, "Name") or "mspdi",
        name=reader.text(root, "Title") or reader.text(root, "Name") or "Microsoft Project file",
        currency=_currency(root, reader),
        data_date=_data_date(root, reader),
        source_format="mspdi",
        planned_start=planned_start or reader.date(root, "StartDate"),
        planned_finish=planned_finish or reader.date(root, "FinishDate"),
        default_calendar_id=calendar_uid if calendar_uid != "-1" else None,
        calendars=_calendars(root, reader),
        wbs=wbs,
        activities=tuple(_activity(t, parents.get(id(t)), reader) for t in work),
        relationships=_relationships(work, summary_ids, reader),
        resources=_resources(root, reader),
        assignments=_assignments(root, reader),
    )


def _is_scheduled(task: Element, reader: ElementReader) -> bool:
    # Inactive tasks (Project 2010 and later) and links to other files carry no work here.
    return reader.text(task, "Active") != "0" and reader.text(task, "ExternalTask") != "1"


def _outline(
    tasks: list[Element], reader: ElementReader
) -> tuple[tuple[WbsNode, ...], dict[int, str]]:
    """Return the summary tasks as WBS nodes and, per task element, its parent summary's UID."""
    nodes: list[WbsNode] = []
    parents: dict[int, str] = {}
    stack: list[tuple[int, str]] = []
    for task in tasks:
        level = reader.integer(task, "OutlineLevel") or 1
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if parent is not None:
            parents[id(task)] = parent
        if reader.text(task, "Summary") == "1":
            uid = reader.text(task, "UID") or ""
            code = reader.text(task, "WBS") or reader.text(task, "OutlineNumber") or uid
            nodes.append(WbsNode(uid, code, reader.text(task, "Name") or "", parent))
            stack.append((level, uid))
    return tuple(nodes), parents


def _activity(task: Element, wbs_id: str | None, reader: ElementReader) -> Activity:
    baseline = reader.baseline(task)
    status = _status(task, reader)
    physical = reader.text(task, "EarnedValueMethod") == "1"

    start, finish = reader.date(task, "Start"), reader.date(task, "Finish")
    duration = reader.hours(task, "Duration") or 0.0
    remaining = reader.hours(task, "RemainingDuration")
    cost, actual_cost = reader.money(task, "Cost") or 0.0, reader.money(task, "ActualCost") or 0.0
    remaining_cost = reader.money(task, "RemainingCost")
    work = reader.hours(task, "Work") or 0.0
    constraint = MSP_CONSTRAINTS.get(reader.integer(task, "ConstraintType") or 0)
    calendar_uid = reader.text(task, "CalendarUID")
    slack = reader.number(task, "TotalSlack")
    free_slack = reader.number(task, "FreeSlack")

    return Activity(
        id=reader.text(task, "UID") or "",
        code=reader.text(task, "ID") or reader.text(task, "UID") or "",
        name=reader.text(task, "Name") or "",
        type=ActivityType.FINISH_MILESTONE
        if reader.text(task, "Milestone") == "1"
        else ActivityType.TASK,
        status=status,
        wbs_id=wbs_id,
        calendar_id=calendar_uid if calendar_uid not in (None, "-1") else None,
        percent_complete_type=PercentCompleteType.PHYSICAL
        if physical
        else PercentCompleteType.DURATION,
        percent_complete=_percent_complete(task, status, physical, reader),
        original_duration_hours=duration,
        remaining_duration_hours=remaining
        if remaining is not None
        else _remaining(status, duration),
        planned_start=baseline_date(baseline, "Start", reader) or start,
        planned_finish=baseline_date(baseline, "Finish", reader) or finish,
        early_start=reader.date(task, "EarlyStart") or start,
        early_finish=reader.date(task, "EarlyFinish") or finish,
        late_start=reader.date(task, "LateStart"),
        late_finish=reader.date(task, "LateFinish"),
        actual_start=reader.date(task, "ActualStart"),
        actual_finish=reader.date(task, "ActualFinish"),
        baseline_start=baseline_date(baseline, "Start", reader),
        baseline_finish=baseline_date(baseline, "Finish", reader),
        # Slack is in tenths of a minute: 600 to the hour.
        total_float_hours=slack / 600 if slack is not None else None,
        free_float_hours=free_slack / 600 if free_slack is not None else None,
        constraint_type=constraint.value if constraint else None,
        constraint_date=reader.date(task, "ConstraintDate") if constraint else None,
        budgeted_cost=baseline_money(baseline, "Cost", reader, cost),
        actual_cost=actual_cost,
        remaining_cost=remaining_cost
        if remaining_cost is not None
        else max(cost - actual_cost, 0.0),
        budgeted_units=baseline_hours(baseline, "Work", reader, work),
        actual_units=reader.hours(task, "ActualWork") or 0.0,
        remaining_units=reader.hours(task, "RemainingWork") or 0.0,
        notes=reader.text(task, "Notes") or "",
    )


def _status(task: Element, reader: ElementReader) -> ActivityStatus:
    percent = reader.percent(task, "PercentComplete") or 0.0
    if reader.date(task, "ActualFinish") is not None or percent >= 100:
        return ActivityStatus.COMPLETED
    if reader.date(task, "ActualStart") is not None or percent > 0:
        return ActivityStatus.IN_PROGRESS
    return ActivityStatus.NOT_STARTED


def _percent_complete(
    task: Element, status: ActivityStatus, physical: bool, reader: ElementReader
) -> float:
    if status is ActivityStatus.COMPLETED:
        return 1.0
    if status is ActivityStatus.NOT_STARTED:
        return 0.0
    name = "PhysicalPercentComplete" if physical else "PercentComplete"
    return (reader.percent(task, name) or 0.0) / 100


def _remaining(status: ActivityStatus, duration: float) -> float:
    return 0.0 if status is ActivityStatus.COMPLETED else duration


def _relationships(
    tasks: list[Element], summary_ids: set[str], reader: ElementReader
) -> tuple[Relationship, ...]:
    durations = {reader.text(t, "UID"): reader.hours(t, "Duration") or 0.0 for t in tasks}
    links: list[Relationship] = []
    on_summaries = external = 0
    for task in tasks:
        successor = reader.text(task, "UID") or ""
        for link in task.iterfind(reader.namespace + "PredecessorLink"):
            predecessor = reader.text(link, "PredecessorUID") or ""
            if reader.text(link, "CrossProject") == "1":
                external += 1
            elif predecessor in summary_ids:
                on_summaries += 1
            else:
                lag = _lag_hours(link, durations.get(predecessor, 0.0), reader)
                kind = _LINK_TYPES.get(reader.text(link, "Type") or "1", RelationshipType.FS)
                links.append(Relationship(predecessor, successor, kind, lag))
    if on_summaries:
        reader.warnings.append(
            ImportWarning(
                "summary_relationship",
                f"{on_summaries} relationships start from summary tasks, which are WBS nodes "
                "here, and were dropped; link the work inside the summary instead.",
            )
        )
    if external:
        reader.warnings.append(
            ImportWarning(
                "external_relationship",
                f"{external} relationships come from tasks in other project files and were "
                "dropped.",
            )
        )
    return tuple(links)


def _lag_hours(link: Element, predecessor_hours: float, reader: ElementReader) -> float:
    lag = reader.number(link, "LinkLag") or 0.0
    lag_format = reader.text(link, "LagFormat") or "7"
    if lag_format in _PERCENT_LAG_FORMATS:
        # A percentage lag is stored as the percentage of the predecessor's duration.
        return lag / 100 * predecessor_hours
    hours = lag / 600
    if lag_format in _ELAPSED_LAG_FORMATS:
        # NOTE: elapsed lags are scaled by the share of working hours in a week, an
        # approximation that ignores where the lag falls in the week.
        hours *= reader.hours_per_week / 168
    return hours


def _resources(root: Element, reader: ElementReader) -> tuple[Resource, ...]:
    resources = []
    for element in root.iterfind(f"{reader.namespace}Resources/{reader.namespace}Resource"):
        name = reader.text(element, "Name")
        if reader.text(element, "IsNull") == "1" or name is None:
            continue
        calendar_uid = reader.text(element, "CalendarUID")
        resources.append(
            Resource(
                id=reader.text(element, "UID") or "",
                name=name,
                type=_RESOURCE_TYPES.get(reader.text(element, "Type") or "1", "labor"),
                unit=reader.text(element, "MaterialLabel"),
                calendar_id=calendar_uid if calendar_uid != "-1" else None,
            )
        )
    return tuple(resources)


def _assignments(root: Element, reader: ElementReader) -> tuple[Assignment, ...]:
    assignments = []
    for element in root.iterfind(f"{reader.namespace}Assignments/{reader.namespace}Assignment"):
        resource = reader.text(element, "ResourceUID")
        baseline = reader.baseline(element)
        cost = reader.money(element, "Cost") or 0.0
        actual = reader.money(element, "ActualCost") or 0.0
        remaining = reader.money(element, "RemainingCost")
        work = reader.hours(element, "Work") or 0.0
        assignments.append(
            Assignment(
                id=reader.text(element, "UID") or "",
                activity_id=reader.text(element, "TaskUID") or "",
                resource_id=resource if resource not in (None, _UNASSIGNED_RESOURCE) else None,
                budgeted_cost=baseline_money(baseline, "Cost", reader, cost),
                actual_cost=actual,
                remaining_cost=remaining if remaining is not None else max(cost - actual, 0.0),
                budgeted_units=baseline_hours(baseline, "Work", reader, work),
                actual_units=reader.hours(element, "ActualWork") or 0.0,
                remaining_units=reader.hours(element, "RemainingWork") or 0.0,
                planned_start=baseline_date(baseline, "Start", reader)
                or reader.date(element, "Start"),
                planned_finish=baseline_date(baseline, "Finish", reader)
                or reader.date(element, "Finish"),
            )
        )
    return tuple(assignments)


def _calendars(root: Element, reader: ElementReader) -> tuple[Calendar, ...]:
    problems: list[str] = []
    elements = list(root.iterfind(f"{reader.namespace}Calendars/{reader.namespace}Calendar"))
    try:
        calendars = read_calendars(
            elements, reader.namespace, reader.hours_per_day, reader.hours_per_week, problems
        )
    except (ValueError, OverflowError) as error:
        # OverflowError: an exception that runs to 9999-12-31, the last date Python has.
        reader.warnings.append(
            ImportWarning(
                "calendar_unreadable",
                f"the calendars could not be read ({error}); activities use a Monday-to-"
                "Friday week from 08:00 instead.",
            )
        )
        return ()
    for problem in problems:
        reader.warnings.append(ImportWarning("calendar_incomplete", problem + "."))
    return calendars


def _currency(root: Element, reader: ElementReader) -> str:
    code = reader.text(root, "CurrencyCode")
    if code:
        return code
    symbol = reader.text(root, "CurrencySymbol")
    guess = _CURRENCY_SYMBOLS.get(symbol or "", "USD")
    reader.warnings.append(
        ImportWarning(
            "currency_assumed",
            f"the file names no currency code; {guess} was assumed from the currency symbol "
            f"{symbol!r}. Check the currency before reporting."
            if symbol
            else "the file names no currency; costs were read as USD. Check the currency "
            "before reporting.",
        )
    )
    return guess


def _data_date(root: Element, reader: ElementReader) -> datetime:
    status_date = reader.date(root, "StatusDate")
    if status_date is not None:
        return status_date
    for name, label in (("CurrentDate", "current date"), ("StartDate", "project start")):
        fallback = reader.date(root, name)
        if fallback is not None:
            reader.warnings.append(
                ImportWarning(
                    "status_date_missing",
                    f"the file has no status date, so its {label} "
                    f"{fallback:%Y-%m-%d %H:%M} is used as the data date. Set the status date "
                    "in Microsoft Project before exporting to report progress correctly.",
                )
            )
            return fallback
    raise InvalidProjectError(
        "the Microsoft Project file has no status date, current date or start date; set the "
        "status date and export it again"
    )
