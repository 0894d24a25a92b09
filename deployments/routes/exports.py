"""Exports of a report: starting them, their history, and downloads through signed links."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from actors.errors import describe
from actors.export_job import JOB_KIND, ExportPlan, export_path, start_export
from config import Settings
from deployments.access import require_view
from deployments.auth import Principal, token_secret
from deployments.dependencies import Editor, ServicesDep, Viewer
from deployments.download_links import LinkSigner
from deployments.errors import (
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    UnprocessableError,
)
from deployments.routes.branding import BrandingOptions, resolve_logo
from deployments.routes.branding import router as branding_router
from deployments.services import Services
from exports import ExportError, Logo, palette, parse_styling
from exports.content import part_order
from storage import (
    ExportRepository,
    TemplateRecord,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["exports"])
router.include_router(branding_router)

# Rough cost of an export from the sp10 benchmark: a fixed part and a part per activity.
_FIXED_SECONDS = 3.0
_SECONDS_PER_ACTIVITY = 0.002


class ExportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_charts: bool = True
    include_raw_data: bool = False
    branding: BrandingOptions = Field(default_factory=BrandingOptions)
    sections: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=50
    )


class ExportBody(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/export``."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["pdf", "excel", "slides"]
    template_id: uuid.UUID | None = None
    options: ExportOptions = Field(default_factory=ExportOptions)


class ExportStarted(BaseModel):
    export_job_id: uuid.UUID
    status: Literal["processing"]
    estimated_completion: datetime
    download_url: str | None = None


@lru_cache(maxsize=4)
def link_signer(settings: Settings) -> LinkSigner:
    """Return the download link signer of these settings."""
    return LinkSigner(token_secret(settings), settings.export_link_ttl_seconds)


async def _template(
    services: Services, requested: uuid.UUID | None, report_template: uuid.UUID | None
) -> TemplateRecord:
    chosen = requested or report_template
    if chosen is not None:
        return await asyncio.to_thread(services.templates.get, chosen)
    return await asyncio.to_thread(services.templates.default)


def _check_options(template: TemplateRecord, body: ExportBody, available: Sequence[str]) -> None:
    """Raise 422 for a format, section, styling or colour scheme the export cannot use."""
    if body.format not in template.export_formats:
        raise UnprocessableError(
            f"template {template.name!r} exports to {', '.join(template.export_formats)}, "
            f"not {body.format}",
            code="format_not_in_template",
        )
    sections = [section.section_id for section in template.sections]
    try:
        part_order(sections, body.options.sections, available)
    except ExportError as error:
        raise UnprocessableError(error.message, code="invalid_sections") from error
    try:
        parse_styling(template.styling)
        if body.options.branding.color_scheme:
            palette(body.options.branding.color_scheme)
    except ExportError as error:
        raise UnprocessableError(error.message, code="invalid_branding") from error


def _plan(
    body: ExportBody,
    template: TemplateRecord,
    report_id: uuid.UUID,
    job_id: uuid.UUID,
    caller: Principal,
    logo: Logo | None,
) -> ExportPlan:
    options = body.options
    return ExportPlan(
        report_id=report_id,
        job_id=job_id,
        export_id=uuid.uuid4(),
        format=body.format,
        template_id=template.id,
        template_name=template.name,
        template_sections=tuple(section.section_id for section in template.sections),
        styling=dict(template.styling),
        color_scheme=options.branding.color_scheme,
        logo_type=logo.content_type if logo else None,
        logo_data=logo.data if logo else None,
        sections=tuple(options.sections) if options.sections is not None else None,
        include_charts=options.include_charts,
        include_raw_data=options.include_raw_data,
        requested_by=caller.email,
        requested_at=datetime.now(UTC),
    )


@router.post(
    "/api/reports/pmr/{report_id}/export",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportStarted,
    summary="Start exporting a report to PDF, Excel or slides; follow the job",
)
async def start(
    report_id: uuid.UUID, body: ExportBody, services: ServicesDep, caller: Editor
) -> JSONResponse:
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status != "completed":
        raise ConflictError(
            f"report {report_id} is {record.status}; it can be exported once it is completed",
            code="report_not_ready",
        )
    await require_view(services, report_id, caller)
    template = await _template(services, body.template_id, record.template_id)
    document = await services.gateway.read_document(report_id)
    _check_options(template, body, [str(s["section_id"]) for s in document.get("sections", [])])
    logo = await resolve_logo(services, body.options.branding)
    job = await asyncio.to_thread(services.jobs.create, JOB_KIND, report_id)
    plan = _plan(body, template, report_id, job.id, caller, logo)
    try:
        start_export(plan, services.settings)
    except Exception as error:
        # Without this the job would stay queued with no task behind it.
        # NOTE: no test reaches this branch; Ray raises here only when the cluster is gone.
        logger.error("export job %s could not be submitted to Ray", job.id, exc_info=error)
        await asyncio.to_thread(services.jobs.fail, job.id, describe(error))
        raise ServiceUnavailableError(
            f"the export could not be started ({describe(error)}); retry when the cluster is back",
            code="export_not_started",
        ) from error
    await asyncio.to_thread(services.templates.record_use, template.id)
    project = await asyncio.to_thread(services.projects.summary, record.project_id)
    estimate = _FIXED_SECONDS + _SECONDS_PER_ACTIVITY * project.activity_count
    started = ExportStarted(
        export_job_id=job.id,
        status="processing",
        estimated_completion=datetime.now(UTC) + timedelta(seconds=estimate),
    )
    return JSONResponse(
        started.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/jobs/{job.id}"},
    )


@router.get("/api/reports/pmr/{report_id}/exports", summary="The report's export history")
async def history(
    report_id: uuid.UUID, services: ServicesDep, caller: Viewer
) -> dict[str, object]:
    await asyncio.to_thread(services.reports.get, report_id)
    await require_view(services, report_id, caller)
    records = await asyncio.to_thread(ExportRepository(services.database).history, report_id)
    return {"exports": [record.as_dict() for record in records]}


@router.get(
    "/api/reports/pmr/{report_id}/exports/{export_id}/download",
    summary="Download an exported file through a signed link",
    response_class=Response,
)
async def download(
    report_id: uuid.UUID,
    export_id: uuid.UUID,
    services: ServicesDep,
    caller: Viewer,
    expires: Annotated[int, Query(ge=0)],
    signature: Annotated[str, Query(max_length=128)],
) -> Response:
    link_signer(services.settings).verify(report_id, export_id, expires, signature)
    await require_view(services, report_id, caller)
    record = await asyncio.to_thread(ExportRepository(services.database).get, export_id)
    if record.report_id != report_id:
        raise NotFoundError(f"export {export_id} is not an export of report {report_id}")
    path = export_path(services.settings, report_id, export_id, record.format)
    data = await asyncio.to_thread(_read, path)
    if data is None or hashlib.sha256(data).hexdigest() != record.sha256:
        logger.error("export %s file is missing or differs from its recorded hash", export_id)
        raise NotFoundError(
            f"the file of export {export_id} is missing or damaged; export the report again",
            code="export_file_missing",
        )
    logger.info("export %s of report %s downloaded by %s", export_id, report_id, caller.email)
    # The bytes served are the ones just hashed, not a second read of a file that may change.
    return Response(
        data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{record.file_name}"',
            "Cache-Control": "private, no-store",
        },
    )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
