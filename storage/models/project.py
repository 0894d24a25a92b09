"""Tables of an imported schedule: the project and its calendars, WBS, resources and risks.

Columns named after a field of ``schedules.model`` store that field's value. The model's
string ``id`` is stored as ``source_id`` because ``id`` is the row's UUID, and references
between schedule objects (``wbs_id``, ``calendar_id``, ``parent_id``...) hold source ids.
Every child row has a ``position``, its index in the model's tuple, so that a load returns
the collections in source order. Schedule datetimes are naive project-local time.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, NullableJson, UtcDateTime, utc_now


class ProjectRow(Base):
    """One imported schedule with the figures that project listings show."""

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(16))
    data_date: Mapped[datetime]
    source_format: Mapped[str] = mapped_column(String(32))
    source_filename: Mapped[str] = mapped_column(Text)
    planned_start: Mapped[datetime | None]
    planned_finish: Mapped[datetime | None]
    default_calendar_id: Mapped[str | None] = mapped_column(String(200))
    budget_at_completion: Mapped[float]
    actual_cost: Mapped[float]
    warnings: Mapped[list[JsonObject]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Who imported the file: a user's email address or a tool name such as "cli". It is
    # text rather than a users.id reference so that imports made outside a login count too.
    imported_by: Mapped[str | None] = mapped_column(String(320))


class ProjectChild:
    """Columns shared by every row that belongs to one project."""

    # A negative sort order puts these columns first in each table.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-3)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), sort_order=-2
    )
    position: Mapped[int] = mapped_column(sort_order=-1)


class CalendarRow(ProjectChild, Base):
    """A working-time calendar; ``week`` and ``exceptions`` hold intervals as "HH:MM:SS"."""

    __tablename__ = "calendars"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    hours_per_day: Mapped[float]
    hours_per_week: Mapped[float]
    # Seven lists of [start, finish] pairs, Monday first.
    week: Mapped[list[Any]] = mapped_column(JSON)
    # [date, [[start, finish], ...]] pairs in the model's mapping order.
    exceptions: Mapped[list[Any]] = mapped_column(JSON)


class WbsNodeRow(ProjectChild, Base):
    """A node of the work breakdown structure."""

    __tablename__ = "wbs_nodes"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(200))


class ResourceRow(ProjectChild, Base):
    """A labour, material or equipment resource."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(64))
    calendar_id: Mapped[str | None] = mapped_column(String(200))


class RiskRow(ProjectChild, Base):
    """A risk register entry; impacts are three-point estimates stored as JSON objects."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    probability: Mapped[float]
    description: Mapped[str] = mapped_column(Text)
    duration_impact_hours: Mapped[JsonObject | None] = mapped_column(NullableJson)
    cost_impact: Mapped[JsonObject | None] = mapped_column(NullableJson)
    affected_activity_ids: Mapped[list[str]] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date | None]


class MonthlyActualRow(ProjectChild, Base):
    """Cumulative actual cost, earned value and planned value at the end of one month."""

    __tablename__ = "monthly_actuals"
    __table_args__ = (UniqueConstraint("project_id", "month"),)

    month: Mapped[str] = mapped_column(String(7))
    actual_cost: Mapped[float]
    earned_value: Mapped[float | None]
    planned_value: Mapped[float | None]
