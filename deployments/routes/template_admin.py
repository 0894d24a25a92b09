"""Creating and changing report templates; admins only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from deployments.auth import Principal, Role
from deployments.dependencies import ServicesDep, require
from deployments.errors import UnprocessableError
from deployments.routes.audit import record_audit
from exports import ExportError, parse_styling
from storage import (
    AuditEvent,
    AuditTarget,
    TemplateContent,
    TemplateRecord,
    content_hash,
    template_sections,
)

Format = Literal["pdf", "excel", "slides"]
router = APIRouter(prefix="/api/reports/pmr", tags=["templates"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class Suggestions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(default="natural_language_summary", max_length=64)
    include_predictions: bool = False
    focus_areas: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=20
    )


class SectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1, max_length=300)
    ai_suggestions: Suggestions = Field(default_factory=Suggestions)


class TemplateWrite(BaseModel):
    """Body of ``POST /api/reports/pmr/templates`` and ``PUT .../templates/{id}``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    template_type: str = Field(default="custom", min_length=1, max_length=64)
    industry_focus: str = Field(default="general", min_length=1, max_length=64)
    sections: list[SectionBody] = Field(min_length=1, max_length=50)
    export_formats: list[Format] = Field(
        default_factory=lambda: list[Format](["pdf", "excel", "slides"]),
        min_length=1,
        max_length=3,
    )
    styling: dict[str, Any] = Field(default_factory=dict)

    def content(self) -> TemplateContent:
        """Return the template content after checking its styling."""
        try:
            styling = parse_styling(self.styling)
        except ExportError as error:
            raise UnprocessableError(str(error), code="invalid_styling") from error
        return TemplateContent(
            name=self.name,
            description=self.description,
            template_type=self.template_type,
            industry_focus=self.industry_focus,
            sections=template_sections([section.model_dump() for section in self.sections]),
            export_formats=tuple(dict.fromkeys(self.export_formats)),
            styling=styling.as_dict(),
        )


def _body(record: TemplateRecord) -> dict[str, Any]:
    return {**record.as_dict(), "created_by": record.created_by}


@router.post("/templates", status_code=status.HTTP_201_CREATED, summary="Create a report template")
async def create_template(
    body: TemplateWrite, services: ServicesDep, caller: Admin
) -> dict[str, Any]:
    record = await asyncio.to_thread(
        services.templates.create, body.content(), created_by=caller.email
    )
    await record_audit(services, _template_event("template_created", caller, None, record))
    return _body(record)


@router.put("/templates/{template_id}", summary="Replace a report template's content")
async def replace_template(
    template_id: uuid.UUID, body: TemplateWrite, services: ServicesDep, caller: Admin
) -> dict[str, Any]:
    before = await asyncio.to_thread(services.templates.get, template_id)
    record = await asyncio.to_thread(services.templates.replace, template_id, body.content())
    await record_audit(services, _template_event("template_replaced", caller, before, record))
    return _body(record)


def _template_event(
    action: str, caller: Principal, before: TemplateRecord | None, after: TemplateRecord
) -> AuditEvent:
    """Return the audit entry of a template change; the hashes cover name, sections, styling."""
    return AuditEvent(
        actor=caller.email,
        action=action,
        target_type=AuditTarget.TEMPLATE,
        target_id=str(after.id),
        before_hash=_template_hash(before) if before is not None else None,
        after_hash=_template_hash(after),
        detail={"name": after.name},
    )


def _template_hash(record: TemplateRecord) -> str:
    content = record.as_dict()
    # Usage count and rating change with use, not with an edit of the template.
    for counter in ("usage_count", "rating"):
        content.pop(counter, None)
    return content_hash(content)


@router.get("/templates/{template_id}", summary="One template with its export styling")
async def get_template(
    template_id: uuid.UUID,
    services: ServicesDep,
    _: Annotated[Principal, Depends(require(Role.VIEWER))],
) -> dict[str, Any]:
    record = await asyncio.to_thread(services.templates.get, template_id)
    return _body(record)
