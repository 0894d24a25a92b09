"""The table of report templates; the built-in ones are seeded by a data migration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime, utc_now


class TemplateRow(Base):
    """A report template: its sections with their generation hints, and export formats."""

    __tablename__ = "templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    template_type: Mapped[str] = mapped_column(String(64))
    industry_focus: Mapped[str] = mapped_column(String(64))
    sections: Mapped[list[Any]] = mapped_column(JSON)
    export_formats: Mapped[list[str]] = mapped_column(JSON)
    usage_count: Mapped[int]
    rating: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Export styling (colour scheme, page size, cover, contents); exports.styling checks it.
    styling: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    # None for the built-in templates, which a migration created.
    created_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
