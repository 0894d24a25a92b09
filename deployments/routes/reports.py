"""Report generation, retrieval and direct section edits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse, Response

from actors import GenerationPlan
from deployments.access import require_edit, require_view
from deployments.dependencies import Editor, ProjectManager, ServicesDep, Viewer
from deployments.errors import ConflictError, UnprocessableError
from deployments.report_reads import read_report
from deployments.routes.audit import record_audit
from deployments.routes.templates import router as templates_router
from deployments.schemas import (
    GenerateRequest,
    GenerateResponse,
    ReportBody,
    SectionBody,
    SectionUpdateRequest,
    SectionUpdateResponse,
)
from deployments.services import Services
from reporting import report_month_problem
from storage import AuditEvent, AuditTarget, ReportRecord, TemplateRecord

router = APIRouter(prefix="/api/reports/pmr", tags=["reports"])
# Declared first so that /templates is not taken for a report id.
router.include_router(templates_router)

# Rough cost of a generation, from the sp10 benchmark: a fixed part plus a part per activity.
_FIXED_SECONDS = 4.0
_SECONDS_PER_ACTIVITY = 0.001


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def section_body(section: dict[str, Any]) -> SectionBody:
    content: dict[str, Any] = {
        "body": section["body"],
        "key_metrics": section["metrics"],
        "ai_generated": section["ai_generated"],
        "confidence_score": section["confidence_score"],
    }
    if section["ai_generated"]:
        content["ai_generated_summary"] = section["body"]
    return SectionBody(section_id=section["section_id"], title=section["title"], content=content)


def report_body(record: ReportRecord, document: dict[str, Any] | None) -> ReportBody:
    document = document or {}
    meta = document.get("meta", {})
    metrics = document.get("metrics", {})
    return ReportBody(
        id=record.id,
        project_id=record.project_id,
        title=record.title,
        description=record.description,
        report_month=record.report_month,
        status=record.status,
        error=record.error,
        sections=[section_body(section) for section in document.get("sections", [])],
        key_metrics=metrics.get("key_metrics", {}),
        earned_value=metrics.get("earned_value"),
        ai_insights=document.get("insights", []),
        monte_carlo_analysis=document.get("monte_carlo"),
        version=int(meta.get("version", record.version)),
        last_modified=_parse_time(meta.get("last_modified")) or record.last_modified,
        generated_at=_parse_time(meta.get("generated_at")) or record.generated_at,
    )


async def _template(services: Services, template_id: uuid.UUID | None) -> TemplateRecord:
    if template_id is not None:
        return await asyncio.to_thread(services.templates.get, template_id)
    return await asyncio.to_thread(services.templates.default)


@router.post(
    "/generate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerateResponse,
    summary="Start generating a monthly report; follow the job for progress",
)
async def generate_report(
    request: GenerateRequest, services: ServicesDep, caller: ProjectManager
) -> JSONResponse:
    project = await asyncio.to_thread(services.projects.summary, request.project_id)
    problem = report_month_problem(request.report_month, project.data_date.date())
    if problem is not None:
        raise UnprocessableError(problem, code="report_month_mismatch")
    template = await _template(services, request.template_id)
    title = request.title or f"{project.name}: monthly report {request.report_month}"
    report = await asyncio.to_thread(
        services.reports.create,
        project.id,
        title=title,
        description=request.description,
        report_month=request.report_month,
        template_id=template.id,
        created_by=caller.email,
    )
    job = await asyncio.to_thread(services.jobs.create, "report_generation", report.id)
    await asyncio.to_thread(services.templates.record_use, template.id)
    await record_audit(services, _created_event(report, caller.email, job.id))
    plan = GenerationPlan(
        report_id=report.id,
        job_id=job.id,
        project_id=project.id,
        report_month=request.report_month,
        title=title,
        description=request.description,
        template_sections=tuple(section.section_id for section in template.sections),
        section_titles=tuple((section.section_id, section.title) for section in template.sections),
        template_id=template.id,
        custom_sections=tuple(section.section_id for section in request.custom_sections),
        include_insights=request.include_ai_insights,
        include_monte_carlo=request.include_monte_carlo,
        requested_by=caller.email,
    )
    services.gateway.start_generation(plan)
    estimate = _FIXED_SECONDS + _SECONDS_PER_ACTIVITY * project.activity_count
    body = GenerateResponse(
        id=report.id,
        status="generating",
        estimated_completion=datetime.now(UTC) + timedelta(seconds=estimate),
        generation_job_id=job.id,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/reports/pmr/{report.id}"},
    )


def _created_event(report: ReportRecord, user: str, job_id: uuid.UUID) -> AuditEvent:
    return AuditEvent(
        actor=user,
        action="report_created",
        target_type=AuditTarget.REPORT,
        target_id=str(report.id),
        report_id=report.id,
        detail={
            "project_id": str(report.project_id),
            "report_month": report.report_month,
            "template_id": str(report.template_id) if report.template_id else None,
            "job_id": str(job_id),
        },
    )


@router.get("/{report_id}", response_model=ReportBody, summary="A report with its sections")
async def get_report(report_id: uuid.UUID, services: ServicesDep, caller: Viewer) -> Response:
    await require_view(services, report_id, caller)
    return await read_report(services, report_id, report_body)


@router.put(
    "/{report_id}/sections/{section_id}",
    response_model=SectionUpdateResponse,
    summary="Update one section's title, body or metrics",
)
async def update_section(
    report_id: uuid.UUID,
    section_id: str,
    request: SectionUpdateRequest,
    services: ServicesDep,
    caller: Editor,
) -> SectionUpdateResponse:
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status == "failed":
        raise ConflictError(
            f"report {report_id} failed to generate ({record.error}); generate it again",
            code="report_failed",
        )
    if record.status != "completed":
        raise ConflictError(
            f"report {report_id} is still generating; sections can be edited once it completes",
            code="report_not_ready",
        )
    # Once a collaboration session exists, its permissions decide whether an editor may
    # change the text, as they do for WebSocket and chat edits.
    await require_edit(services, report_id, caller)
    result = await services.gateway.update_section(
        report_id,
        section_id,
        title=request.content.title,
        body=request.content.body,
        metrics=request.content.metrics,
        strategy=request.merge_strategy,
        user=caller.email,
    )
    modified = _parse_time(result["last_modified"])
    await asyncio.to_thread(
        services.reports.touch, report_id, version=result["version"], last_modified=modified
    )
    return SectionUpdateResponse(
        report_id=report_id,
        section=section_body(result["section"]),
        version=result["version"],
        last_modified=modified,
    )
