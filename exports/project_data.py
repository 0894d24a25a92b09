"""Figures an export takes from the imported schedule: cost by WBS element and activities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from schedules.model import Project

# More WBS elements than this make an unreadable chart; the smallest are summed as "Other".
MAX_WBS_ROWS = 12


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One activity as the raw data sheet lists it."""

    activity_id: str
    code: str
    name: str
    wbs: str
    status: str
    activity_type: str
    percent_complete: float
    planned_start: datetime | None
    planned_finish: datetime | None
    actual_start: datetime | None
    actual_finish: datetime | None
    total_float_days: float | None
    budgeted_cost: float
    actual_cost: float
    remaining_cost: float


@dataclass(frozen=True, slots=True)
class ProjectData:
    """Cost by WBS element, as ``(name, budget, actual)`` rows, and the activity rows."""

    wbs_costs: tuple[tuple[str, float, float], ...]
    activities: tuple[ActivityRow, ...]
    budget_at_completion: float


def _subtree_budgets(project: Project, parents: Mapping[str, str | None]) -> dict[str, float]:
    budgets: dict[str, float] = defaultdict(float)
    for activity in project.activities:
        current, seen = activity.wbs_id, 0
        while current is not None and current in parents and seen <= len(parents):
            budgets[current] += activity.budgeted_cost
            current, seen = parents[current], seen + 1
    return budgets


def _reporting_level(project: Project) -> dict[str, str]:
    """Map every WBS node id to the id of its element at the reporting level.

    The reporting level starts at the roots and moves down while only one element carries
    budget and none of it directly, so costed work under one node is split by its children.
    """
    nodes = project.wbs
    parents = {node.id: node.parent_id for node in nodes}
    children: dict[str | None, list[str]] = defaultdict(list)
    for node in nodes:
        children[node.parent_id if node.parent_id in parents else None].append(node.id)
    budgets = _subtree_budgets(project, parents)
    direct: dict[str, float] = defaultdict(float)
    for activity in project.activities:
        direct[activity.wbs_id or ""] += activity.budgeted_cost
    level = children[None]
    for _ in range(len(nodes)):
        costed = [node_id for node_id in level if budgets.get(node_id, 0.0) != 0.0]
        # Work booked on the element itself would vanish from a split by its children.
        if len(costed) != 1 or not children[costed[0]] or direct[costed[0]] != 0.0:
            break
        level = children[costed[0]]
    chosen = set(level)
    mapping: dict[str, str] = {}
    for node in nodes:
        current: str | None = node.id
        seen = 0
        while current is not None and current not in chosen and seen <= len(nodes):
            current = parents.get(current)
            seen += 1
        if current is not None:
            mapping[node.id] = current
    return mapping


def wbs_costs(project: Project) -> tuple[tuple[str, float, float], ...]:
    """Return budget and actual cost summed by reporting-level WBS element, largest first."""
    level = _reporting_level(project)
    names = {node.id: node.name or node.code for node in project.wbs}
    budget: dict[str, float] = defaultdict(float)
    actual: dict[str, float] = defaultdict(float)
    for activity in project.activities:
        element = level.get(activity.wbs_id or "")
        label = names.get(element, "No WBS element") if element else "No WBS element"
        budget[label] += activity.budgeted_cost
        actual[label] += activity.actual_cost
    rows = sorted(
        (
            (label, budget[label], actual[label])
            for label in budget
            if budget[label] or actual[label]
        ),
        key=lambda row: (-row[1], row[0]),
    )
    if len(rows) <= MAX_WBS_ROWS:
        return tuple(rows)
    rest = rows[MAX_WBS_ROWS - 1 :]
    other = (f"Other ({len(rest)} elements)", sum(r[1] for r in rest), sum(r[2] for r in rest))
    return (*rows[: MAX_WBS_ROWS - 1], other)


def _hours_per_day(project: Project) -> Mapping[str | None, float]:
    days: dict[str | None, float] = {
        calendar.id: calendar.hours_per_day or 8.0 for calendar in project.calendars
    }
    return defaultdict(lambda: days.get(project.default_calendar_id, 8.0), days)


def activity_rows(project: Project) -> tuple[ActivityRow, ...]:
    """Return the activities in source order with float converted to working days."""
    wbs_codes = {node.id: node.code for node in project.wbs}
    day_hours = _hours_per_day(project)
    rows = []
    for activity in project.activities:
        total_float = activity.total_float_hours
        rows.append(
            ActivityRow(
                activity_id=activity.id,
                code=activity.code,
                name=activity.name,
                wbs=wbs_codes.get(activity.wbs_id or "", ""),
                status=activity.status.value,
                activity_type=activity.type.value,
                percent_complete=activity.percent_complete,
                planned_start=activity.planned_start,
                planned_finish=activity.planned_finish,
                actual_start=activity.actual_start,
                actual_finish=activity.actual_finish,
                total_float_days=None
                if total_float is None
                else total_float / day_hours[activity.calendar_id],
                budgeted_cost=activity.budgeted_cost,
                actual_cost=activity.actual_cost,
                remaining_cost=activity.remaining_cost,
            )
        )
    return tuple(rows)


def project_data(project: Project) -> ProjectData:
    """Return what the exports draw from ``project``."""
    return ProjectData(
        wbs_costs=wbs_costs(project),
        activities=activity_rows(project),
        budget_at_completion=project.budget_at_completion,
    )
