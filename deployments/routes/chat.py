"""Chat editing of a report: instructions or free-form requests become section edits."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from actors.chat import ChatCaller, ChatService
from deployments.access import ROLE_PERMISSION, require_view
from deployments.auth import Role
from deployments.dependencies import ServicesDep, Viewer
from deployments.routes.insights import completed_report
from deployments.schemas_assistant import ChatRequest, ChatResponse
from deployments.services import Services

router = APIRouter(prefix="/api/reports/pmr", tags=["chat"])


def chat_service(request: Request, services: Services) -> ChatService:
    """Return the application's chat service, created on first use."""
    state = request.app.state
    service: ChatService | None = getattr(state, "chat_service", None)
    if service is None:
        service = ChatService(services.settings, services.database)
        state.chat_service = service
    return service


@router.post(
    "/{report_id}/edit/chat",
    response_model=ChatResponse,
    summary="Start or continue a chat that edits the report",
)
async def chat(
    report_id: uuid.UUID,
    body: ChatRequest,
    request: Request,
    services: ServicesDep,
    caller: Viewer,
) -> Any:
    await completed_report(services, report_id)
    # The chat quotes the report in its replies, so those the session leaves out get none.
    await require_view(services, report_id, caller)
    chat_caller = ChatCaller(
        caller.email, ROLE_PERMISSION[caller.role].value, caller.role is Role.ADMIN
    )
    return await chat_service(request, services).handle(
        report_id,
        chat_caller,
        body.message,
        session_id=body.session_id,
        current_section=body.context.current_section,
    )
