"""Tables of exports: the history of files made from a report, and uploaded logos."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, UtcDateTime, utc_now

EXPORT_FORMATS = ("pdf", "excel", "slides")
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


class ExportRow(Base):
    """One file exported from a report: who asked, when, in which format, and its hash.

    The file itself lives under the data folder; ``sha256`` lets a download prove that the
    bytes it serves are the ones that passed the quality checks.
    """

    __tablename__ = "report_exports"
    __table_args__ = (
        CheckConstraint("format IN ('pdf', 'excel', 'slides')", name="format_known"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        Index(None, "report_id", "completed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(16))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("templates.id", ondelete="SET NULL")
    )
    # Kept beside the id so the history still names a template that was deleted later.
    template_name: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    file_name: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    options: Mapped[JsonObject] = mapped_column(JSON)


class LogoRow(Base):
    """An uploaded logo, already checked and (for SVG) sanitised, referenced by its id."""

    __tablename__ = "logos"
    __table_args__ = (
        CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg', 'image/svg+xml')", name="type_known"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
