"""Declarative base, constraint naming and the column types shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, Double, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Fixed constraint names keep migrations identical on SQLite and PostgreSQL, and let a later
# migration drop a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite stores datetimes as text without an offset, so values are converted to UTC
    before they are written and marked as UTC when they are read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC timestamp")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# A JSON column whose Python None is stored as SQL NULL rather than the JSON literal null.
NullableJson: JSON = JSON(none_as_null=True)

JsonObject = dict[str, Any]


class Base(DeclarativeBase):
    """Base class of every table of the server."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Double precision keeps every float of the schedule model exact through a round trip.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        float: Double(),
        uuid.UUID: Uuid(),
        datetime: DateTime(),
    }
