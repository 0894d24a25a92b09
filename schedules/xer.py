"""Primavera P6 XER reader: maps the PROJECT, CALENDAR, PROJWBS, TASK, TASKPRED, RSRC,
TASKRSRC and PROJCOST tables of one project onto the schedule model.

P6 stores durations, lags and float in hours, dates as ``YYYY-MM-DD HH:MM`` in project
local time, and costs in the export currency named at the end of the ERMHDR line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from schedules.constraints import P6_CONSTRAINTS, ConstraintType
from schedules.errors import InvalidProjectError, MalformedScheduleError
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
from schedules.values import parse_finite
from schedules.xer_calendar import calendar_from_row
from schedules.xer_tables import XerRow, XerTables, read_xer_tables
from schedules.xer_values import XerValues

_TASK_TYPES = {
    "TT_Task": ActivityType.TASK,
    "TT_Mile": ActivityType.START_MILESTONE,
    "TT_FinMile": ActivityType.FINISH_MILESTONE,
    "TT_LOE": ActivityType.LEVEL_OF_EFFORT,
    "TT_WBS": ActivityType.WBS_SUMMARY,
    "TT_Rsrc": ActivityType.RESOURCE_DEPENDENT,
}
_STATUSES = {
    "TK_NotStart": ActivityStatus.NOT_STARTED,
    "TK_Active": ActivityStatus.IN_PROGRESS,
    "TK_Complete": ActivityStatus.COMPLETED,
}
_PERCENT_TYPES = {
    "CP_Drtn": PercentCompleteType.DURATION,
    "CP_Phys": PercentCompleteType.PHYSICAL,
    "CP_Units": PercentCompleteType.UNITS,
}
_RELATIONSHIP_TYPES = {
    "PR_FS": RelationshipType.FS,
    "PR_SS": RelationshipType.SS,
    "PR_FF": RelationshipType.FF,
    "PR_SF": RelationshipType.SF,
}
_CONSTRAINTS: dict[str, ConstraintType | None] = dict(P6_CONSTRAINTS)
_RESOURCE_TYPES = {"RT_Labor": "labor", "RT_Equip": "nonlabor", "RT_Mat": "material"}
_COST_FIELDS = ("budgeted_cost", "actual_cost", "remaining_cost")
_UNIT_FIELDS = ("budgeted_units", "actual_units", "remaining_units")


def read_xer(data: bytes, *, project_id: str | None = None) -> tuple[Project, list[ImportWarning]]:
    """Read one project of an XER file: the one named by ``project_id`` or the first.

    ``project_id`` matches P6's proj_id or proj_short_name.

    Raises:
        MalformedScheduleError: the file is not a complete XER export.
        InvalidProjectError: the file has no project, or not the one requested.
    """
    tables = read_xer_tables(data)
    warnings = list(tables.warnings)
    project_row = _choose_project(tables, project_id, warnings)
    proj_id = project_row.get("proj_id", "")
    values = XerValues()

    calendars = _calendars(tables, warnings)
    wbs = _wbs(_rows_of(tables, "PROJWBS", proj_id), project_row.get("name_sep_char") or ".")
    assignments = _assignments(tables, proj_id, values)
    activities = _activities(_rows_of(tables, "TASK", proj_id), assignments, values)
    relationships = _relationships(_rows_of(tables, "TASKPRED", proj_id), values)
    resources = tuple(_resource(row) for row in tables.rows("RSRC"))

    root = next((row for row in tables.rows("PROJWBS") if _is_root_of(row, proj_id)), None)
    short_name = project_row.get("proj_short_name", "")
    project = Project(
        source_id=proj_id,
        name=(root or {}).get("wbs_name") or short_name or f"P6 project {proj_id}",
        code=short_name,
        currency=_currency(tables, warnings),
        data_date=_data_date(project_row, values, warnings),
        source_format="xer",
        planned_start=values.date(project_row, "plan_start_date"),
        planned_finish=values.date(project_row, "plan_end_date"),
        default_calendar_id=project_row.get("clndr_id") or None,
        calendars=calendars,
        wbs=wbs,
        activities=activities,
        relationships=relationships,
        resources=resources,
        assignments=assignments,
    )
    values.raise_if_rejected()
    warnings.extend(values.warnings())
    return project, warnings


def _choose_project(
    tables: XerTables, project_id: str | None, warnings: list[ImportWarning]
) -> XerRow:
    projects = tables.rows("PROJECT")
    if not projects:
        raise MalformedScheduleError(
            "invalid_xer", "the XER file has no PROJECT table; export a project, not only data"
        )
    names = ", ".join(f"{row.get('proj_id')} ({row.get('proj_short_name')})" for row in projects)
    if project_id is not None:
        for row in projects:
            if project_id in (row.get("proj_id"), row.get("proj_short_name")):
                return row
        raise InvalidProjectError(
            f"project {project_id!r} not found in the XER file; it contains {names}"
        )
    if len(projects) > 1:
        warnings.append(
            ImportWarning(
                "multiple_projects",
                f"the XER file contains {len(projects)} projects ({names}); only the first, "
                f"{projects[0].get('proj_short_name')}, was imported. Choose another by its "
                "project id.",
            )
        )
    return projects[0]


def _rows_of(tables: XerTables, name: str, proj_id: str) -> list[XerRow]:
    return [row for row in tables.rows(name) if row.get("proj_id") == proj_id]


def _is_root_of(row: XerRow, proj_id: str) -> bool:
    return row.get("proj_id") == proj_id and row.get("proj_node_flag") == "Y"


def _currency(tables: XerTables, warnings: list[ImportWarning]) -> str:
    # The last ERMHDR field is the currency the export's costs are expressed in.
    if tables.header and tables.header[-1].strip():
        return tables.header[-1].strip()
    for row in tables.rows("CURRTYPE"):
        if parse_finite(row.get("base_exch_rate", "")) == 1.0 and row.get("curr_short_name"):
            return row["curr_short_name"]
    warnings.append(
        ImportWarning(
            "currency_missing",
            "the XER file names no export currency; costs were read as USD. Check the "
            "currency before reporting.",
        )
    )
    return "USD"


def _data_date(row: XerRow, values: XerValues, warnings: list[ImportWarning]) -> datetime:
    # P6 writes the data date of the last schedule calculation as last_recalc_date.
    data_date = values.date(row, "last_recalc_date")
    if data_date is not None:
        return data_date
    fallback = values.date(row, "plan_start_date")
    if fallback is None:
        raise InvalidProjectError(
            "the XER project has neither a data date (last_recalc_date) nor a planned start; "
            "schedule the project in P6 and export it again"
        )
    warnings.append(
        ImportWarning(
            "data_date_missing",
            f"the XER project has no data date (last_recalc_date); the planned start "
            f"{fallback:%Y-%m-%d %H:%M} was used. Set the data date before reporting.",
        )
    )
    return fallback


def _calendars(tables: XerTables, warnings: list[ImportWarning]) -> tuple[Calendar, ...]:
    calendars = []
    for row in tables.rows("CALENDAR"):
        calendar, problem = calendar_from_row(row)
        calendars.append(calendar)
        if problem is not None:
            warnings.append(
                ImportWarning(
                    "calendar_unreadable",
                    f"calendar {calendar.id} ({calendar.name}) has unreadable working-time "
                    f"data ({problem}); a Monday-to-Friday week of {calendar.hours_per_day:g} "
                    "hours a day without holidays was assumed.",
                )
            )
    return tuple(calendars)


def _wbs(rows: list[XerRow], separator: str) -> tuple[WbsNode, ...]:
    by_id = {row["wbs_id"]: row for row in rows if row.get("wbs_id")}
    codes: dict[str, str] = {}

    def full_code(wbs_id: str) -> str:
        # Walk up iteratively: P6 trees can be deeper than Python's recursion limit.
        chain = []
        current: str | None = wbs_id
        while current in by_id and current not in codes and current not in chain:
            chain.append(current)
            current = by_id[current].get("parent_wbs_id") or None
        prefix = codes.get(current, "") if current is not None else ""
        for node_id in reversed(chain):
            short = by_id[node_id].get("wbs_short_name", "")
            prefix = f"{prefix}{separator}{short}" if prefix else short
            codes[node_id] = prefix
        return codes[wbs_id]

    nodes = []
    for wbs_id, row in by_id.items():
        parent = row.get("parent_wbs_id") or None
        nodes.append(
            WbsNode(
                id=wbs_id,
                code=full_code(wbs_id),
                name=row.get("wbs_name", ""),
                parent_id=parent if parent in by_id else None,
            )
        )
    return tuple(nodes)


def _assignments(tables: XerTables, proj_id: str, values: XerValues) -> tuple[Assignment, ...]:
    assignments = [_assignment(row, values) for row in _rows_of(tables, "TASKRSRC", proj_id)]
    # Expenses (PROJCOST) carry cost but no resource; they count in the activity's cost.
    assignments.extend(_expense(row, values) for row in _rows_of(tables, "PROJCOST", proj_id))
    return tuple(assignments)


def _assignment(row: XerRow, values: XerValues) -> Assignment:
    record = f"TASKRSRC taskrsrc_id {row.get('taskrsrc_id', '')} (task_id {row.get('task_id')})"

    def amount(*names: str) -> float:
        return sum(values.amount(row, name, record) for name in names)

    return Assignment(
        id=row.get("taskrsrc_id", ""),
        activity_id=row.get("task_id", ""),
        resource_id=row.get("rsrc_id") or None,
        budgeted_cost=amount("target_cost"),
        actual_cost=amount("act_reg_cost", "act_ot_cost"),
        remaining_cost=amount("remain_cost"),
        budgeted_units=amount("target_qty"),
        actual_units=amount("act_reg_qty", "act_ot_qty"),
        remaining_units=amount("remain_qty"),
        planned_start=values.date(row, "target_start_date"),
        planned_finish=values.date(row, "target_end_date"),
    )


def _expense(row: XerRow, values: XerValues) -> Assignment:
    record = f"PROJCOST cost_item_id {row.get('cost_item_id', '')} (task_id {row.get('task_id')})"
    return Assignment(
        id=f"expense-{row.get('cost_item_id', '')}",
        activity_id=row.get("task_id", ""),
        resource_id=None,
        budgeted_cost=values.amount(row, "target_cost", record),
        actual_cost=values.amount(row, "act_cost", record),
        remaining_cost=values.amount(row, "remain_cost", record),
    )


def _activities(
    rows: list[XerRow], assignments: Iterable[Assignment], values: XerValues
) -> tuple[Activity, ...]:
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for assignment in assignments:
        total = totals[assignment.activity_id]
        for name in _COST_FIELDS + _UNIT_FIELDS:
            total[name] += getattr(assignment, name)
    return tuple(_activity(row, totals.get(row.get("task_id", ""), {}), values) for row in rows)


def _activity(row: XerRow, totals: dict[str, float], values: XerValues) -> Activity:
    status = values.code(_STATUSES, row, "status_code", ActivityStatus.NOT_STARTED)
    percent_type = values.code(
        _PERCENT_TYPES, row, "complete_pct_type", PercentCompleteType.DURATION
    )
    original = values.number(row, "target_drtn_hr_cnt")
    remaining = values.number(row, "remain_drtn_hr_cnt")
    constraint = values.code(_CONSTRAINTS, row, "cstr_type", None)
    return Activity(
        id=row.get("task_id", ""),
        code=row.get("task_code", ""),
        name=row.get("task_name", ""),
        type=values.code(_TASK_TYPES, row, "task_type", ActivityType.TASK),
        status=status,
        wbs_id=row.get("wbs_id") or None,
        calendar_id=row.get("clndr_id") or None,
        percent_complete_type=percent_type,
        percent_complete=_percent_complete(row, status, percent_type, values),
        original_duration_hours=original,
        remaining_duration_hours=remaining,
        planned_start=values.date(row, "target_start_date"),
        planned_finish=values.date(row, "target_end_date"),
        early_start=values.date(row, "early_start_date"),
        early_finish=values.date(row, "early_end_date"),
        late_start=values.date(row, "late_start_date"),
        late_finish=values.date(row, "late_end_date"),
        actual_start=values.date(row, "act_start_date"),
        actual_finish=values.date(row, "act_end_date"),
        total_float_hours=values.optional_number(row, "total_float_hr_cnt"),
        free_float_hours=values.optional_number(row, "free_float_hr_cnt"),
        constraint_type=constraint.value if constraint else None,
        constraint_date=values.date(row, "cstr_date") if constraint else None,
        budgeted_cost=totals.get("budgeted_cost", 0.0),
        actual_cost=totals.get("actual_cost", 0.0),
        remaining_cost=totals.get("remaining_cost", 0.0),
        budgeted_units=totals.get("budgeted_units", 0.0),
        actual_units=totals.get("actual_units", 0.0),
        remaining_units=totals.get("remaining_units", 0.0),
    )


def _percent_complete(
    row: XerRow, status: ActivityStatus, percent_type: PercentCompleteType, values: XerValues
) -> float:
    if status is ActivityStatus.COMPLETED:
        return 1.0
    if status is ActivityStatus.NOT_STARTED:
        return 0.0
    if percent_type is PercentCompleteType.PHYSICAL:
        fraction = values.percent(row, "phys_complete_pct") / 100
    elif percent_type is PercentCompleteType.UNITS:
        actual = values.number(row, "act_work_qty") + values.number(row, "act_equip_qty")
        remaining = values.number(row, "remain_work_qty") + values.number(row, "remain_equip_qty")
        fraction = actual / (actual + remaining) if actual + remaining > 0 else 0.0
    else:
        original = values.number(row, "target_drtn_hr_cnt")
        remaining = values.number(row, "remain_drtn_hr_cnt")
        fraction = (original - remaining) / original if original > 0 else 0.0
    return min(max(fraction, 0.0), 1.0)


def _relationships(rows: list[XerRow], values: XerValues) -> tuple[Relationship, ...]:
    return tuple(
        Relationship(
            predecessor_id=row.get("pred_task_id", ""),
            successor_id=row.get("task_id", ""),
            type=values.code(_RELATIONSHIP_TYPES, row, "pred_type", RelationshipType.FS),
            lag_hours=values.number(row, "lag_hr_cnt"),
        )
        for row in rows
    )


def _resource(row: XerRow) -> Resource:
    return Resource(
        id=row.get("rsrc_id", ""),
        name=row.get("rsrc_name") or row.get("rsrc_short_name", ""),
        type=_RESOURCE_TYPES.get(row.get("rsrc_type", ""), "labor"),
        calendar_id=row.get("clndr_id") or None,
    )
