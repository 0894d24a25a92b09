"""Exports of a report, their history and downloads, and uploaded logos."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from actors.export_job import JOB_KIND, ExportPlan, export_path, start_export
from config import Settings
from deployments.auth import Principal, Role, token_secret
from deployments.dependencies import Editor, ServicesDep, Viewer
from deployments.download_links import LinkSigner
from deployments.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
)
from deployments.services import Services
from exports import (
    ExportError,
    Logo,
    RemotePolicy,
    check_logo,
    fetch_logo_bytes,
    logo_from_data_url,
    palette,
    parse_styling,
)
from storage import (
    CollaborationRepository,
    ExportRepository,
    LogoRepository,
    Permission,
    TemplateRecord,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["exports"])

# Rough cost of an export from the sp10 benchmark: a fixed part and a part per activity.
_FIXED_SECONDS = 3.0
_SECONDS_PER_ACTIVITY = 0.002


class Branding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    logo_url: str | None = Field(
        default=None,
        max_length=2_000_000,
        description="A data: URL, or an https URL on a host of PMR_EXPORT_LOGO_HOSTS.",
    )
    logo_id: uuid.UUID | None = Field(default=None, description="An uploaded logo's id.")
    color_scheme: str | None = Field(default=None, max_length=64)


class ExportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_charts: bool = True
    include_raw_data: bool = False
    branding: Branding = Field(default_factory=Branding)
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


def _remote_policy(settings: Settings) -> RemotePolicy:
    hosts = frozenset(
        host.strip().lower() for host in settings.export_logo_hosts.split(",") if host.strip()
    )
    return RemotePolicy(
        hosts, settings.export_logo_max_bytes, settings.export_logo_timeout_seconds
    )


async def _logo(services: Services, branding: Branding) -> Logo | None:
    limit = services.settings.export_logo_max_bytes
    if branding.logo_id is not None and branding.logo_url is not None:
        raise UnprocessableError(
            "give either logo_id or logo_url, not both", code="logo_ambiguous"
        )
    try:
        if branding.logo_id is not None:
            stored = await asyncio.to_thread(
                LogoRepository(services.database).get, branding.logo_id
            )
            return Logo(stored.content_type, stored.data)
        if branding.logo_url is None:
            return None
        if branding.logo_url.startswith("data:"):
            return logo_from_data_url(branding.logo_url, limit)
        policy = _remote_policy(services.settings)
        data = await asyncio.to_thread(fetch_logo_bytes, branding.logo_url, policy)
        return check_logo(data, limit)
    except ExportError as error:
        logger.info("export logo rejected: %s", error)
        raise UnprocessableError(str(error), code="logo_rejected") from error


async def _template(
    services: Services, requested: uuid.UUID | None, report_template: uuid.UUID | None
) -> TemplateRecord:
    chosen = requested or report_template
    if chosen is not None:
        return await asyncio.to_thread(services.templates.get, chosen)
    return await asyncio.to_thread(services.templates.default)


async def require_view(services: Services, report_id: uuid.UUID, caller: Principal) -> None:
    """Raise 403 unless the caller may view the report.

    With a collaboration session only its participants and admins may; without one the
    caller's role decides, and every role includes viewing.
    """
    session = await asyncio.to_thread(CollaborationRepository(services.database).get, report_id)
    if session is None or caller.role is Role.ADMIN:
        return
    granted = session.permission_of(caller.email)
    if granted is None or not granted.includes(Permission.VIEW):
        raise PermissionDeniedError(
            f"{caller.email} is not a participant of report {report_id}'s session",
            code="permission_denied",
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
    if body.format not in template.export_formats:
        raise UnprocessableError(
            f"template {template.name!r} exports to {', '.join(template.export_formats)}, "
            f"not {body.format}",
            code="format_not_in_template",
        )
    options = body.options
    try:
        parse_styling(template.styling)
        if options.branding.color_scheme:
            palette(options.branding.color_scheme)
    except ExportError as error:
        raise UnprocessableError(str(error), code="invalid_branding") from error
    logo = await _logo(services, options.branding)
    job = await asyncio.to_thread(services.jobs.create, JOB_KIND, report_id)
    await asyncio.to_thread(services.templates.record_use, template.id)
    plan = ExportPlan(
        report_id=report_id,
        job_id=job.id,
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
    start_export(plan, services.settings)
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
    response_class=FileResponse,
)
async def download(
    report_id: uuid.UUID,
    export_id: uuid.UUID,
    services: ServicesDep,
    caller: Viewer,
    expires: Annotated[int, Query(ge=0)],
    signature: Annotated[str, Query(min_length=64, max_length=64)],
) -> FileResponse:
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
    return FileResponse(path, media_type=record.content_type, filename=record.file_name)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@router.post(
    "/api/branding/logos",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a logo (PNG, JPEG or SVG) for exports; SVG is cleaned",
)
async def upload_logo(
    services: ServicesDep, caller: Editor, file: Annotated[UploadFile, File()]
) -> dict[str, object]:
    limit = services.settings.export_logo_max_bytes
    data = await file.read(limit + 1)
    try:
        logo = check_logo(data, limit)
    except ExportError as error:
        raise UnprocessableError(str(error), code="logo_rejected") from error
    stored = await asyncio.to_thread(
        LogoRepository(services.database).add,
        content_type=logo.content_type,
        data=logo.data,
        sha256=hashlib.sha256(logo.data).hexdigest(),
        file_name=(file.filename or "logo")[:200],
        uploaded_by=caller.email,
    )
    return {
        "logo_id": str(stored.id),
        "content_type": stored.content_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
    }
