"""Insights of a report: regenerate them, list them, validate or reject one."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Query

from actors.insights_tasks import InsightRequest, run_insights
from deployments.access import require_edit, require_view
from deployments.dependencies import Editor, ProjectManager, ServicesDep, Viewer
from deployments.errors import ConflictError, NotFoundError
from deployments.schemas_assistant import (
    InsightGenerateRequest,
    InsightList,
    ReviewBody,
    ValidationRequest,
    ValidationResponse,
)
from deployments.services import Services
from insights import Category, InsightOptions, InsightType
from storage import ReportRecord
from storage.repositories.knowledge import InsightReview, InsightReviewRepository

router = APIRouter(prefix="/api/reports/pmr", tags=["insights"])


async def completed_report(services: Services, report_id: uuid.UUID) -> ReportRecord:
    """Return the report's record, or raise 409 while it generates or after it failed."""
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status != "completed":
        raise ConflictError(
            f"report {report_id} is {record.status}; this works once it is completed",
            code="report_not_ready",
        )
    return record


def _reviews(services: Services) -> InsightReviewRepository:
    return InsightReviewRepository(services.database)


@router.post(
    "/{report_id}/insights/generate",
    response_model=InsightList,
    summary="Regenerate the report's insights from its current figures",
)
async def generate_insights(
    report_id: uuid.UUID,
    request: InsightGenerateRequest,
    services: ServicesDep,
    caller: ProjectManager,
) -> InsightList:
    await completed_report(services, report_id)
    await require_edit(services, report_id, caller)
    options = InsightOptions(
        horizon_months=request.context.horizon_months, focus=request.context.focus
    )
    plan = InsightRequest(
        report_id=report_id,
        types=tuple(InsightType(t) for t in request.insight_types)
        if request.insight_types
        else None,
        categories=tuple(Category(c) for c in request.categories) if request.categories else None,
        options=options,
        requested_by=caller.email,
    )
    result: dict[str, Any] = await run_insights.remote(plan, services.settings)
    await asyncio.to_thread(services.reports.touch, report_id, version=result["version"])
    return InsightList(
        report_id=report_id,
        insights=result["insights"],
        version=result["version"],
        horizon_months=options.horizon_months,
        focus=[category.value for category in options.focus],
    )


@router.get("/{report_id}/insights", response_model=InsightList, summary="The report's insights")
async def list_insights(
    report_id: uuid.UUID,
    services: ServicesDep,
    caller: Viewer,
    category: str | None = Query(default=None, max_length=16),
    insight_type: str | None = Query(default=None, max_length=16),
) -> InsightList:
    await completed_report(services, report_id)
    await require_view(services, report_id, caller)
    document = await services.gateway.read_document(report_id)
    insights = [
        item
        for item in document.get("insights", [])
        if (category is None or item.get("category") == category)
        and (insight_type is None or item.get("insight_type") == insight_type)
    ]
    version = int(document.get("meta", {}).get("version", 0))
    return InsightList(report_id=report_id, insights=insights, version=version)


@router.post(
    "/{report_id}/insights/{insight_id}/validation",
    response_model=ValidationResponse,
    summary="Validate or reject one insight; the verdict is logged",
)
async def validate_insight(
    report_id: uuid.UUID,
    insight_id: str,
    request: ValidationRequest,
    services: ServicesDep,
    caller: Editor,
) -> ValidationResponse:
    await completed_report(services, report_id)
    await require_edit(services, report_id, caller)
    actor = services.hub.actor_for(report_id)
    result = await actor.set_insight_status.remote(
        insight_id, request.validation_status, caller.email
    )
    if result is None:
        raise NotFoundError(
            f"report {report_id} has no insight {insight_id}; GET its insights for the ids",
            code="insight_not_found",
        )
    review = await asyncio.to_thread(
        _reviews(services).record,
        report_id,
        insight_id,
        status=request.validation_status,
        previous_status=result["previous_status"],
        user_id=caller.email,
        comment=request.comment,
    )
    await asyncio.to_thread(services.reports.touch, report_id, version=result["version"])
    return ValidationResponse(
        insight=result["insight"], review=_review_body(review), version=result["version"]
    )


@router.get(
    "/{report_id}/insights/{insight_id}/validation",
    response_model=list[ReviewBody],
    summary="Who validated or rejected an insight, oldest first",
)
async def insight_reviews(
    report_id: uuid.UUID, insight_id: str, services: ServicesDep, caller: Viewer
) -> list[ReviewBody]:
    await asyncio.to_thread(services.reports.get, report_id)
    await require_view(services, report_id, caller)
    reviews = await asyncio.to_thread(_reviews(services).history, report_id, insight_id)
    return [_review_body(review) for review in reviews]


def _review_body(review: InsightReview) -> ReviewBody:
    return ReviewBody(
        insight_id=review.insight_id,
        validation_status=review.status,
        previous_status=review.previous_status,
        user_id=review.user_id,
        comment=review.comment,
        reviewed_at=review.reviewed_at,
    )
