"""Tables of live co-editing: a report's collaboration session and its change log.

Permissions live here, never in the shared document, because every co-editor can write to
the document.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, UtcDateTime, utc_now


class CollaborationSessionRow(Base):
    """The collaboration session of one report: who may take part and with which right."""

    __tablename__ = "collaboration_sessions"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    session_type: Mapped[str] = mapped_column(String(16))
    # email -> "edit", "comment" or "view"
    permissions: Mapped[JsonObject] = mapped_column(JSON)
    started_by: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    last_activity: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class ReportChangeRow(Base):
    """Who changed which part of a report, when and how; appended, never updated."""

    __tablename__ = "report_changes"
    __table_args__ = (Index(None, "report_id", "id"),)

    # SQLite numbers rows only through an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(320))
    section_id: Mapped[str | None] = mapped_column(String(64))
    change_type: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
