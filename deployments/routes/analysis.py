"""Monte Carlo analysis of a report, run as a job."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from actors.monte_carlo_job import SimulationPlan
from deployments.access import require_edit
from deployments.dependencies import ProjectManager, ServicesDep
from deployments.errors import ConflictError
from deployments.schemas import JobStarted, MonteCarloRequest

router = APIRouter(prefix="/api/reports/pmr", tags=["analysis"])

# A rough cost per iteration on a network the size of sp10 (4,000 activities), for the
# estimated completion time; the job's progress gives the real pace.
_SECONDS_PER_ITERATION = 0.0001
_FIXED_SECONDS = 3.0


@router.post(
    "/{report_id}/monte-carlo",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobStarted,
    summary="Run a Monte Carlo analysis of cost and finish date; follow the job",
)
async def run_monte_carlo(
    report_id: uuid.UUID, request: MonteCarloRequest, services: ServicesDep, caller: ProjectManager
) -> JSONResponse:
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status != "completed":
        raise ConflictError(
            f"report {report_id} is {record.status}; analyses run on a completed report",
            code="report_not_ready",
        )
    # The analysis rewrites the report's Monte Carlo figures, so the session's editors decide.
    await require_edit(services, report_id, caller)
    job = await asyncio.to_thread(services.jobs.create, "monte_carlo", report_id)
    seed = request.seed if request.seed is not None else secrets.randbelow(2**63)
    plan = SimulationPlan(
        report_id=report_id,
        job_id=job.id,
        project_id=record.project_id,
        analysis_type=request.analysis_type,
        iterations=request.iterations,
        confidence_levels=tuple(request.confidence_levels),
        schedule_uncertainty=request.parameters.schedule_uncertainty,
        budget_uncertainty=request.parameters.budget_uncertainty,
        resource_availability=request.parameters.resource_availability,
        seed=seed,
        requested_by=caller.email,
    )
    services.gateway.start_simulation(plan)
    estimate = _FIXED_SECONDS + _SECONDS_PER_ITERATION * request.iterations
    body = JobStarted(
        job_id=job.id,
        status="queued",
        estimated_completion=datetime.now(UTC) + timedelta(seconds=estimate),
        seed=seed,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/jobs/{job.id}"},
    )
