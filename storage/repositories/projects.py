"""Storage of imported schedules: one transaction per import, exact reload of the model."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from schedules.model import ImportResult, ImportWarning, Project
from storage.database import Database
from storage.errors import InvalidData, NotFound
from storage.models import (
    ActivityRow,
    AssignmentRow,
    CalendarRow,
    MonthlyActualRow,
    ProjectRow,
    RelationshipRow,
    ResourceRow,
    RiskRow,
    WbsNodeRow,
)
from storage.models.base import Base, utc_now
from storage.repositories import project_rows as rows

logger = logging.getLogger(__name__)

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# How many offending ids an error message lists before it only counts the rest.
_LISTED_IDS = 5


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} is not mapped to a table"
    return table


@dataclass(frozen=True, slots=True)
class _Collection:
    """One tuple of ``Project`` and the table that stores it, in insertion order."""

    field: str
    table: Table
    to_values: Callable[[uuid.UUID, int, Any], dict[str, Any]]
    from_row: Callable[[Any], Any]


# Activities precede relationships and assignments, whose foreign keys point at them.
_COLLECTIONS = (
    _Collection("calendars", _table(CalendarRow), rows.calendar_values, rows.calendar_from_row),
    _Collection("wbs", _table(WbsNodeRow), rows.wbs_values, rows.wbs_from_row),
    _Collection("activities", _table(ActivityRow), rows.activity_values, rows.activity_from_row),
    _Collection(
        "relationships",
        _table(RelationshipRow),
        rows.relationship_values,
        rows.relationship_from_row,
    ),
    _Collection("resources", _table(ResourceRow), rows.resource_values, rows.resource_from_row),
    _Collection(
        "assignments", _table(AssignmentRow), rows.assignment_values, rows.assignment_from_row
    ),
    _Collection("risks", _table(RiskRow), rows.risk_values, rows.risk_from_row),
    _Collection(
        "monthly_actuals",
        _table(MonthlyActualRow),
        rows.monthly_actual_values,
        rows.monthly_actual_from_row,
    ),
)


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """The figures a project listing shows, read without loading the schedule."""

    id: uuid.UUID
    name: str
    code: str
    currency: str
    data_date: datetime
    planned_start: datetime | None
    planned_finish: datetime | None
    source_format: str
    source_filename: str
    activity_count: int
    relationship_count: int
    budget_at_completion: float
    actual_cost: float
    warnings: tuple[ImportWarning, ...]
    imported_at: datetime
    imported_by: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the summary in the JSON shape of the projects API."""
        return {
            "project_id": self.id,
            "name": self.name,
            "code": self.code,
            "currency": self.currency,
            "data_date": self.data_date,
            "planned_start": self.planned_start,
            "planned_finish": self.planned_finish,
            "source_format": self.source_format,
            "source_filename": self.source_filename,
            "activities": self.activity_count,
            "relationships": self.relationship_count,
            "budget_at_completion": self.budget_at_completion,
            "actual_cost": self.actual_cost,
            "warnings": [warning.as_dict() for warning in self.warnings],
            "imported_at": self.imported_at,
            "imported_by": self.imported_by,
        }


class ProjectRepository:
    """Stores imported schedules and loads them back as ``schedules.model.Project``."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self, result: ImportResult, *, filename: str, imported_by: str | None = None
    ) -> uuid.UUID:
        """Store an imported schedule with its warnings in one transaction; return its id.

        Raises:
            InvalidData: duplicate ids, links to unknown activities or a malformed month;
                nothing is stored.
        """
        project = result.project
        _validate(project)
        project_id = uuid.uuid4()
        started = time.perf_counter()
        with self._database.session() as session:
            session.execute(
                insert(_table(ProjectRow)),
                [_project_values(project_id, result, filename, imported_by)],
            )
            for collection in _COLLECTIONS:
                items: Sequence[Any] = getattr(project, collection.field)
                if items:
                    values = [
                        collection.to_values(project_id, position, item)
                        for position, item in enumerate(items)
                    ]
                    session.execute(insert(collection.table), values)
        logger.info(
            "stored project %s from %s: %d activities, %d relationships in %.3f s",
            project_id,
            filename,
            len(project.activities),
            len(project.relationships),
            time.perf_counter() - started,
        )
        return project_id

    def get(self, project_id: uuid.UUID) -> Project:
        """Load a stored schedule exactly as it was added."""
        with self._database.session() as session:
            project = session.get(ProjectRow, project_id)
            if project is None:
                raise NotFound("project", project_id)
            collections = {
                collection.field: _load_collection(session, collection, project_id)
                for collection in _COLLECTIONS
            }
        return Project(
            source_id=project.source_id,
            name=project.name,
            currency=project.currency,
            data_date=project.data_date,
            source_format=project.source_format,
            code=project.code,
            planned_start=project.planned_start,
            planned_finish=project.planned_finish,
            default_calendar_id=project.default_calendar_id,
            **collections,
        )

    def summary(self, project_id: uuid.UUID) -> ProjectSummary:
        """Return the listing figures of one project."""
        with self._database.session() as session:
            row = session.execute(
                _summary_query().where(ProjectRow.id == project_id)
            ).one_or_none()
        if row is None:
            raise NotFound("project", project_id)
        return _summary_from_row(row)

    def list(self) -> list[ProjectSummary]:
        """Return the summaries of every stored project, most recently imported first."""
        query = _summary_query().order_by(ProjectRow.imported_at.desc(), ProjectRow.id)
        with self._database.session() as session:
            return [_summary_from_row(row) for row in session.execute(query)]

    def delete(self, project_id: uuid.UUID) -> None:
        """Delete a project with its schedule, reports and jobs."""
        with self._database.session() as session:
            if session.get(ProjectRow, project_id) is None:
                raise NotFound("project", project_id)
            # Foreign keys cascade the delete to every row that belongs to the project.
            session.execute(delete(ProjectRow).where(ProjectRow.id == project_id))
        logger.info("deleted project %s", project_id)


def _project_values(
    project_id: uuid.UUID, result: ImportResult, filename: str, imported_by: str | None
) -> dict[str, Any]:
    project = result.project
    return {
        "id": project_id,
        "source_id": project.source_id,
        "name": project.name,
        "code": project.code,
        "currency": project.currency,
        "data_date": project.data_date,
        "source_format": project.source_format,
        "source_filename": filename,
        "planned_start": project.planned_start,
        "planned_finish": project.planned_finish,
        "default_calendar_id": project.default_calendar_id,
        "budget_at_completion": project.budget_at_completion,
        "actual_cost": project.actual_cost,
        "warnings": [warning.as_dict() for warning in result.warnings],
        "imported_at": utc_now(),
        "imported_by": imported_by,
    }


def _load_collection(
    session: Session, collection: _Collection, project_id: uuid.UUID
) -> tuple[Any, ...]:
    table = collection.table
    query = select(table).where(table.c.project_id == project_id).order_by(table.c.position)
    return tuple(collection.from_row(row) for row in session.execute(query).mappings())


def _summary_query() -> Any:
    activity_count = (
        select(func.count())
        .where(ActivityRow.project_id == ProjectRow.id)
        .correlate(ProjectRow)
        .scalar_subquery()
    )
    relationship_count = (
        select(func.count())
        .where(RelationshipRow.project_id == ProjectRow.id)
        .correlate(ProjectRow)
        .scalar_subquery()
    )
    return select(
        ProjectRow,
        activity_count.label("activity_count"),
        relationship_count.label("relationship_count"),
    )


def _summary_from_row(row: Any) -> ProjectSummary:
    project: ProjectRow = row[0]
    return ProjectSummary(
        id=project.id,
        name=project.name,
        code=project.code,
        currency=project.currency,
        data_date=project.data_date,
        planned_start=project.planned_start,
        planned_finish=project.planned_finish,
        source_format=project.source_format,
        source_filename=project.source_filename,
        activity_count=row.activity_count,
        relationship_count=row.relationship_count,
        budget_at_completion=project.budget_at_completion,
        actual_cost=project.actual_cost,
        warnings=tuple(
            ImportWarning(
                code=warning["code"],
                message=warning["message"],
                activity_codes=tuple(warning["activity_codes"]),
            )
            for warning in project.warnings
        ),
        imported_at=project.imported_at,
        imported_by=project.imported_by,
    )


def _validate(project: Project) -> None:
    """Raise InvalidData for references the database would reject, naming the offending ids.

    A month given twice in ``monthly_actuals`` is left to the unique constraint, which
    raises Conflict and rolls the whole import back.
    """
    for field, ids in (
        ("calendar", [calendar.id for calendar in project.calendars]),
        ("WBS node", [node.id for node in project.wbs]),
        ("activity", [activity.id for activity in project.activities]),
        ("resource", [resource.id for resource in project.resources]),
        ("assignment", [assignment.id for assignment in project.assignments]),
        ("risk", [risk.id for risk in project.risks]),
    ):
        duplicates = [key for key, count in Counter(ids).items() if count > 1]
        if duplicates:
            raise InvalidData(f"duplicate {field} ids {_listed(duplicates)}; ids must be unique")
    activity_ids = {activity.id for activity in project.activities}
    dangling = [
        f"{link.predecessor_id}->{link.successor_id}"
        for link in project.relationships
        if link.predecessor_id not in activity_ids or link.successor_id not in activity_ids
    ]
    if dangling:
        raise InvalidData(
            f"relationships {_listed(dangling)} refer to activities not in the "
            "project; drop them or add the activities"
        )
    orphans = [item.id for item in project.assignments if item.activity_id not in activity_ids]
    if orphans:
        raise InvalidData(
            f"assignments {_listed(orphans)} refer to activities not in the "
            "project; drop them or add the activities"
        )
    malformed = [
        actual.month for actual in project.monthly_actuals if not _MONTH.fullmatch(actual.month)
    ]
    if malformed:
        raise InvalidData(
            f"monthly actuals {_listed(malformed)} are not months in the form YYYY-MM"
        )


def _listed(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(repr(key) for key in ids[:_LISTED_IDS])
    rest = len(ids) - _LISTED_IDS
    return f"{shown} and {rest} more" if rest > 0 else shown
