"""Tables of the schedule network: activities, their relationships and resource assignments.

Relationships and assignments refer to activities by (project, source id) through composite
foreign keys, so the database itself rejects a link to an activity that was never stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, NullableJson
from storage.models.project import ProjectChild


class ActivityRow(ProjectChild, Base):
    """One activity; three-point estimates are JSON objects with a ``distribution`` key."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    wbs_id: Mapped[str | None] = mapped_column(String(200))
    calendar_id: Mapped[str | None] = mapped_column(String(200))
    percent_complete_type: Mapped[str] = mapped_column(String(32))
    percent_complete: Mapped[float]
    original_duration_hours: Mapped[float]
    remaining_duration_hours: Mapped[float]
    planned_start: Mapped[datetime | None]
    planned_finish: Mapped[datetime | None]
    early_start: Mapped[datetime | None]
    early_finish: Mapped[datetime | None]
    late_start: Mapped[datetime | None]
    late_finish: Mapped[datetime | None]
    actual_start: Mapped[datetime | None]
    actual_finish: Mapped[datetime | None]
    baseline_start: Mapped[datetime | None]
    baseline_finish: Mapped[datetime | None]
    total_float_hours: Mapped[float | None]
    free_float_hours: Mapped[float | None]
    constraint_type: Mapped[str | None] = mapped_column(String(64))
    constraint_date: Mapped[datetime | None]
    budgeted_cost: Mapped[float]
    actual_cost: Mapped[float]
    remaining_cost: Mapped[float]
    budgeted_units: Mapped[float]
    actual_units: Mapped[float]
    remaining_units: Mapped[float]
    duration_estimate: Mapped[JsonObject | None] = mapped_column(NullableJson)
    cost_estimate: Mapped[JsonObject | None] = mapped_column(NullableJson)
    notes: Mapped[str] = mapped_column(Text)


class RelationshipRow(ProjectChild, Base):
    """A logic link between two activities, with its lag in working hours."""

    __tablename__ = "relationships"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "predecessor_id"],
            ["activities.project_id", "activities.source_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["project_id", "successor_id"],
            ["activities.project_id", "activities.source_id"],
            ondelete="CASCADE",
        ),
        # Deleting an activity looks up the links that refer to it; without these indexes
        # SQLite scans the whole table once per deleted activity.
        Index(None, "project_id", "predecessor_id"),
        Index(None, "project_id", "successor_id"),
    )

    predecessor_id: Mapped[str] = mapped_column(String(200))
    successor_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(2))
    lag_hours: Mapped[float]


class AssignmentRow(ProjectChild, Base):
    """A resource on an activity with its budgeted, actual and remaining cost and units."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("project_id", "source_id"),
        ForeignKeyConstraint(
            ["project_id", "activity_id"],
            ["activities.project_id", "activities.source_id"],
            ondelete="CASCADE",
        ),
        Index(None, "project_id", "activity_id"),
    )

    source_id: Mapped[str] = mapped_column(String(200))
    activity_id: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    budgeted_cost: Mapped[float]
    actual_cost: Mapped[float]
    remaining_cost: Mapped[float]
    budgeted_units: Mapped[float]
    actual_units: Mapped[float]
    remaining_units: Mapped[float]
    planned_start: Mapped[datetime | None]
    planned_finish: Mapped[datetime | None]
