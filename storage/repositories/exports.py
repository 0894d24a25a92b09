"""The export history of reports and the uploaded logos exports may carry."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from storage.database import Database
from storage.errors import InvalidData, NotFound
from storage.models import ExportRow, LogoRow
from storage.models.export import EXPORT_FORMATS, LOGO_TYPES


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One exported file of a report, as the export history lists it."""

    id: uuid.UUID
    report_id: uuid.UUID
    job_id: uuid.UUID | None
    format: str
    template_id: uuid.UUID | None
    template_name: str
    requested_by: str
    requested_at: datetime
    completed_at: datetime
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    pages: int | None
    options: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the record with ids and times as JSON strings."""
        return {
            "export_id": str(self.id),
            "report_id": str(self.report_id),
            "job_id": str(self.job_id) if self.job_id else None,
            "format": self.format,
            "template_id": str(self.template_id) if self.template_id else None,
            "template_name": self.template_name,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "completed_at": self.completed_at.isoformat(),
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "pages": self.pages,
            "options": self.options,
        }


@dataclass(frozen=True, slots=True)
class NewExport:
    """A finished export as its job records it, once the file passed the checks."""

    id: uuid.UUID
    report_id: uuid.UUID
    job_id: uuid.UUID | None
    format: str
    template_id: uuid.UUID | None
    template_name: str
    requested_by: str
    requested_at: datetime
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    pages: int | None
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LogoRecord:
    id: uuid.UUID
    content_type: str
    data: bytes
    sha256: str
    size_bytes: int
    file_name: str
    uploaded_by: str
    uploaded_at: datetime


class ExportRepository:
    """Records finished exports and lists a report's export history."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(self, export: NewExport) -> ExportRecord:
        """Store a finished export and return it."""
        if export.format not in EXPORT_FORMATS:
            raise InvalidData(
                f"export format {export.format!r} is unknown; expected one of "
                f"{', '.join(EXPORT_FORMATS)}"
            )
        if len(export.sha256) != 64:
            raise InvalidData(f"sha256 {export.sha256!r} is not 64 hexadecimal digits")
        values = {
            field: getattr(export, field)
            for field in NewExport.__dataclass_fields__
            if field != "options"
        }
        with self._database.session() as session:
            row = ExportRow(**values, options=dict(export.options))
            session.add(row)
            session.flush()
            return _export(row)

    def get(self, export_id: uuid.UUID) -> ExportRecord:
        with self._database.session() as session:
            row = session.get(ExportRow, export_id)
            if row is None:
                raise NotFound("export", export_id)
            return _export(row)

    def remove(self, export_id: uuid.UUID) -> bool:
        """Delete an export's history entry; return whether there was one.

        Only a failed export job calls this, to take back an entry whose file it could not
        keep; a released export stays in the history.
        """
        with self._database.session() as session:
            deleted = session.execute(
                delete(ExportRow).where(ExportRow.id == export_id).returning(ExportRow.id)
            ).scalar_one_or_none()
            return deleted is not None

    def history(self, report_id: uuid.UUID) -> list[ExportRecord]:
        """Return a report's exports, newest first."""
        query = (
            select(ExportRow)
            .where(ExportRow.report_id == report_id)
            .order_by(ExportRow.completed_at.desc(), ExportRow.id)
        )
        with self._database.session() as session:
            return [_export(row) for row in session.scalars(query)]


class LogoRepository:
    """Stores uploaded logos and returns them by id."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self, *, content_type: str, data: bytes, sha256: str, file_name: str, uploaded_by: str
    ) -> LogoRecord:
        """Store a checked logo and return it with its new id."""
        if content_type not in LOGO_TYPES:
            expected = ", ".join(LOGO_TYPES)
            raise InvalidData(f"logo type {content_type!r} is not stored; expected {expected}")
        with self._database.session() as session:
            row = LogoRow(
                content_type=content_type,
                data=data,
                sha256=sha256,
                size_bytes=len(data),
                file_name=file_name,
                uploaded_by=uploaded_by,
            )
            session.add(row)
            session.flush()
            return _logo(row)

    def get(self, logo_id: uuid.UUID) -> LogoRecord:
        with self._database.session() as session:
            row = session.get(LogoRow, logo_id)
            if row is None:
                raise NotFound("logo", logo_id)
            return _logo(row)


def _export(row: ExportRow) -> ExportRecord:
    return ExportRecord(
        id=row.id,
        report_id=row.report_id,
        job_id=row.job_id,
        format=row.format,
        template_id=row.template_id,
        template_name=row.template_name,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        completed_at=row.completed_at,
        file_name=row.file_name,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        pages=row.pages,
        options=dict(row.options),
    )


def _logo(row: LogoRow) -> LogoRecord:
    return LogoRecord(
        id=row.id,
        content_type=row.content_type,
        data=row.data,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        file_name=row.file_name,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )
