"""Long-running operations: generation, simulations and exports."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter

from actors.export_job import JOB_KIND
from deployments.dependencies import ProjectManager, ServicesDep, Viewer
from deployments.routes.exports import link_signer
from deployments.schemas import JobBody

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobBody, summary="Status and progress of a job")
async def get_job(job_id: uuid.UUID, services: ServicesDep, _: Viewer) -> JobBody:
    record = await asyncio.to_thread(services.jobs.get, job_id)
    body = JobBody.model_validate(record.as_dict())
    result = record.result if isinstance(record.result, dict) else {}
    if record.kind == JOB_KIND and record.status.value == "completed" and "export_id" in result:
        export_id = uuid.UUID(result["export_id"])
        report_id = uuid.UUID(result["report_id"])
        body.download_url = link_signer(services.settings).url(report_id, export_id)
    return body


@router.post("/{job_id}/cancel", response_model=JobBody, summary="Cancel a queued or running job")
async def cancel_job(job_id: uuid.UUID, services: ServicesDep, _: ProjectManager) -> JobBody:
    """Cancel the job; its tasks stop at their next progress report."""
    record = await asyncio.to_thread(services.jobs.cancel, job_id)
    return JobBody.model_validate(record.as_dict())
