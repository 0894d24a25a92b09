"""Tables of a monthly report: its metadata, its Yjs update log and the log's snapshot.

The report document itself lives only in ``report_updates`` and ``report_snapshots``: the
snapshot merges every update up to ``report_snapshots.seq`` and the log contains the later ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, UtcDateTime, utc_now

REPORT_STATUSES = ("generating", "completed", "failed")


class ReportRow(Base):
    """A report of one project for one month; ``summary`` feeds listings without a load."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("status IN ('generating', 'completed', 'failed')", name="status_known"),
        CheckConstraint("report_month LIKE '____-__'", name="report_month_format"),
        Index(None, "project_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    report_month: Mapped[str] = mapped_column(String(7))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("templates.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int]
    # Highest sequence number handed out in report_updates; the row lock taken to raise it
    # is what serialises concurrent appends.
    last_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # A user's email address or a tool name, like projects.imported_by.
    created_by: Mapped[str | None] = mapped_column(String(320))
    generated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    summary: Mapped[JsonObject] = mapped_column(JSON)


class ReportUpdateRow(Base):
    """One Yjs update of a report document, numbered from 1 in the order it was stored."""

    __tablename__ = "report_updates"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class ReportSnapshotRow(Base):
    """The merged state of a report document covering its updates up to ``seq``."""

    __tablename__ = "report_snapshots"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
