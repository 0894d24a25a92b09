"""Schedule import and project lookup."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request, UploadFile, status
from fastapi.responses import JSONResponse

from deployments.dependencies import ProjectManager, ServicesDep, Viewer
from deployments.errors import PayloadTooLargeError
from deployments.schemas import ImportWarningBody, ProjectBody
from deployments.uploads import upload_name
from schedules import import_schedule
from storage import ProjectSummary

router = APIRouter(prefix="/api/projects", tags=["projects"])

_CHUNK = 1024 * 1024


def project_body(summary: ProjectSummary) -> ProjectBody:
    return ProjectBody(
        project_id=summary.id,
        name=summary.name,
        code=summary.code,
        currency=summary.currency,
        data_date=summary.data_date.date(),
        source_format=summary.source_format,
        activities=summary.activity_count,
        relationships=summary.relationship_count,
        budget_at_completion=summary.budget_at_completion,
        actual_cost=summary.actual_cost,
        planned_start=summary.planned_start.date() if summary.planned_start else None,
        planned_finish=summary.planned_finish.date() if summary.planned_finish else None,
        imported_at=summary.imported_at,
        warnings=[
            ImportWarningBody(
                code=warning.code,
                message=warning.message,
                activity_codes=list(warning.activity_codes),
            )
            for warning in summary.warnings
        ],
    )


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read an upload, failing as soon as it exceeds ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the file {upload.filename!r} exceeds the limit of {limit:,} bytes; "
                "raise PMR_MAX_UPLOAD_BYTES or split the schedule",
                code="file_too_large",
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectBody,
    summary="Import a schedule (P6 XER, MS Project XML or the JSON project format)",
)
async def import_project(
    request: Request, file: UploadFile, services: ServicesDep, caller: ProjectManager
) -> JSONResponse:
    limit = services.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _CHUNK:
        raise PayloadTooLargeError(
            f"the upload of {int(declared):,} bytes exceeds the limit of {limit:,} bytes",
            code="file_too_large",
        )
    name = upload_name(file, "upload")
    data = await _read_limited(file, limit)
    result = await asyncio.to_thread(import_schedule, data, name, max_bytes=limit)
    project_id = await asyncio.to_thread(
        services.projects.add,
        result,
        filename=name,
        imported_by=caller.email,
    )
    summary = await asyncio.to_thread(services.projects.summary, project_id)
    body = project_body(summary)
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED,
        headers={"Location": f"/api/projects/{project_id}"},
    )


@router.get("/{project_id}", response_model=ProjectBody, summary="An imported project")
async def get_project(project_id: uuid.UUID, services: ServicesDep, _: Viewer) -> ProjectBody:
    summary = await asyncio.to_thread(services.projects.summary, project_id)
    return project_body(summary)


@router.get("", response_model=list[ProjectBody], summary="Imported projects, newest first")
async def list_projects(services: ServicesDep, _: Viewer) -> list[ProjectBody]:
    summaries = await asyncio.to_thread(services.projects.list)
    return [project_body(summary) for summary in summaries]
