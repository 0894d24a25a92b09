"""Report templates: the built-in ones come from migrations 0002 and 0005, admins add more."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.database import Database
from storage.errors import InvalidData, NotFound
from storage.models import TemplateRow
from storage.models.base import utc_now
from storage.models.export import EXPORT_FORMATS

# Ids of the built-in templates; migration 0002 inserts them with these exact values.
EXECUTIVE_TEMPLATE_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e01")
DETAILED_TEMPLATE_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e02")


@dataclass(frozen=True, slots=True)
class SectionSuggestions:
    """Generation hints for one section: the kind of text, predictions, and focus areas."""

    content_type: str
    include_predictions: bool
    focus_areas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TemplateSection:
    section_id: str
    title: str
    ai_suggestions: SectionSuggestions

    def as_dict(self) -> dict[str, Any]:
        """Return the section in the JSON shape of the templates API."""
        suggestions = self.ai_suggestions
        return {
            "section_id": self.section_id,
            "title": self.title,
            "ai_suggestions": {
                "content_type": suggestions.content_type,
                "include_predictions": suggestions.include_predictions,
                "focus_areas": list(suggestions.focus_areas),
            },
        }


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A report template; ``rating`` is None until someone rates it."""

    id: uuid.UUID
    name: str
    description: str
    template_type: str
    industry_focus: str
    sections: tuple[TemplateSection, ...]
    export_formats: tuple[str, ...]
    usage_count: int
    rating: float | None
    created_at: datetime
    styling: Mapping[str, Any] = field(default_factory=dict)
    created_by: str | None = None
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the template in the JSON shape of the templates API, with its styling."""
        return {
            "id": str(self.id),
            "name": self.name,
            "description": self.description,
            "template_type": self.template_type,
            "industry_focus": self.industry_focus,
            "sections": [section.as_dict() for section in self.sections],
            "export_formats": list(self.export_formats),
            "usage_count": self.usage_count,
            "rating": self.rating,
            "styling": dict(self.styling),
        }


@dataclass(frozen=True, slots=True)
class TemplateContent:
    """The fields of a template that an admin writes; usage and rating are kept apart."""

    name: str
    description: str
    template_type: str
    industry_focus: str
    sections: tuple[TemplateSection, ...]
    export_formats: tuple[str, ...]
    styling: Mapping[str, Any]

    def check(self) -> None:
        """Raise InvalidData when the sections or formats cannot drive an export."""
        if not self.sections:
            raise InvalidData(f"template {self.name!r} has no sections; give at least one")
        ids = [section.section_id for section in self.sections]
        repeated = sorted({section_id for section_id in ids if ids.count(section_id) > 1})
        if repeated:
            raise InvalidData(f"template {self.name!r} repeats sections {', '.join(repeated)}")
        unknown = sorted(set(self.export_formats) - set(EXPORT_FORMATS))
        if unknown or not self.export_formats:
            raise InvalidData(
                f"template {self.name!r} has export formats {list(self.export_formats)}; "
                f"expected one or more of {', '.join(EXPORT_FORMATS)}"
            )

    def row_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "template_type": self.template_type,
            "industry_focus": self.industry_focus,
            "sections": [section.as_dict() for section in self.sections],
            "export_formats": list(self.export_formats),
            "styling": dict(self.styling),
        }


class TemplateRepository:
    """Lists report templates and counts their use."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def list(self) -> list[TemplateRecord]:
        """Return every template, ordered by name."""
        with self._database.session() as session:
            rows = session.scalars(select(TemplateRow).order_by(TemplateRow.name, TemplateRow.id))
            return [_record(row) for row in rows]

    def get(self, template_id: uuid.UUID) -> TemplateRecord:
        """Return one template."""
        with self._database.session() as session:
            row = session.get(TemplateRow, template_id)
            if row is None:
                raise NotFound("template", template_id)
            return _record(row)

    def default(self) -> TemplateRecord:
        """Return the built-in executive template, used when a request names none."""
        return self.get(EXECUTIVE_TEMPLATE_ID)

    def record_use(self, template_id: uuid.UUID) -> int:
        """Add one to a template's usage count and return the new count."""
        with self._database.session() as session:
            count = session.execute(
                update(TemplateRow)
                .where(TemplateRow.id == template_id)
                .values(usage_count=TemplateRow.usage_count + 1)
                .returning(TemplateRow.usage_count)
            ).scalar_one_or_none()
        if count is None:
            raise NotFound("template", template_id)
        return count

    def create(self, content: TemplateContent, *, created_by: str) -> TemplateRecord:
        """Store a new template with no uses and no rating yet."""
        content.check()
        with self._database.session() as session:
            row = TemplateRow(
                **content.row_values(), usage_count=0, rating=None, created_by=created_by
            )
            session.add(row)
            session.flush()
            return _record(row)

    def replace(self, template_id: uuid.UUID, content: TemplateContent) -> TemplateRecord:
        """Overwrite a template's content; its id, usage count and rating stay."""
        content.check()
        with self._database.session() as session:
            row = session.get(TemplateRow, template_id, with_for_update=True)
            if row is None:
                raise NotFound("template", template_id)
            for key, value in content.row_values().items():
                setattr(row, key, value)
            row.updated_at = utc_now()
            session.flush()
            return _record(row)


def template_sections(values: Sequence[Mapping[str, Any]]) -> tuple[TemplateSection, ...]:
    """Return sections in the JSON shape of the templates API as records."""
    return tuple(_section(value) for value in values)


def _section(value: Mapping[str, Any]) -> TemplateSection:
    suggestions = value["ai_suggestions"]
    return TemplateSection(
        section_id=value["section_id"],
        title=value["title"],
        ai_suggestions=SectionSuggestions(
            content_type=suggestions["content_type"],
            include_predictions=suggestions["include_predictions"],
            focus_areas=tuple(suggestions["focus_areas"]),
        ),
    )


def _record(row: TemplateRow) -> TemplateRecord:
    return TemplateRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        template_type=row.template_type,
        industry_focus=row.industry_focus,
        sections=tuple(_section(section) for section in row.sections),
        export_formats=tuple(row.export_formats),
        usage_count=row.usage_count,
        rating=row.rating,
        created_at=row.created_at,
        styling=dict(row.styling or {}),
        created_by=row.created_by,
        updated_at=row.updated_at,
    )
