"""Built-in and custom report templates."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from deployments.dependencies import ServicesDep, Viewer
from deployments.schemas import TemplateBody, TemplateList

router = APIRouter()


@router.get("/templates", response_model=TemplateList, summary="Available report templates")
async def list_templates(services: ServicesDep, _: Viewer) -> TemplateList:
    records = await asyncio.to_thread(services.templates.list)
    return TemplateList(
        templates=[TemplateBody.model_validate(record.as_dict()) for record in records]
    )
