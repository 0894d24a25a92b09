"""Collaboration sessions and comments over REST; live editing uses the WebSocket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deployments.access import granted_permission, require_permission
from deployments.dependencies import ProjectManager, ServicesDep, Viewer
from deployments.errors import ConflictError, NotFoundError, PermissionDeniedError
from deployments.services import Services
from storage import InvalidData, Permission, normalise_email

router = APIRouter(prefix="/api/reports/pmr", tags=["collaboration"])


class SessionRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/collaborate``.

    Participants without an entry in ``permissions`` may view only. The project manager
    who starts the session takes part with edit permission unless the request lists them.
    """

    model_config = ConfigDict(extra="forbid")

    session_type: Literal["collaborative", "direct", "chat"] = "collaborative"
    participants: list[str] = Field(min_length=1, max_length=500)
    permissions: dict[str, Literal["edit", "comment", "view"]] = Field(default_factory=dict)

    @field_validator("participants")
    @classmethod
    def _check_emails(cls, emails: list[str]) -> list[str]:
        return [_email(email) for email in emails]

    @field_validator("permissions")
    @classmethod
    def _check_permission_emails(cls, permissions: dict[str, str]) -> dict[str, str]:
        checked: dict[str, str] = {}
        spellings: dict[str, str] = {}
        for email, value in permissions.items():
            address = _email(email)
            if address in checked and checked[address] != value:
                raise ValueError(
                    f"permissions give {spellings[address]!r} {checked[address]} and "
                    f"{email!r} {value}, but both are {address}; list each person once"
                )
            checked[address] = value
            spellings[address] = email
        return checked

    @model_validator(mode="after")
    def _check_permissions(self) -> SessionRequest:
        listed = set(self.participants)
        strangers = sorted(email for email in self.permissions if email not in listed)
        if strangers:
            raise ValueError(
                f"permissions name people who are not participants: {', '.join(strangers)}"
            )
        return self

    def resolved(self, starter: str) -> dict[str, str]:
        """Return each participant's permission, with the starter as an editor unless listed."""
        permissions: dict[str, str] = {
            email: self.permissions.get(email, "view") for email in self.participants
        }
        permissions.setdefault(normalise_email(starter), "edit")
        return permissions


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidData as error:
        raise ValueError(str(error)) from error


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section_id: str = Field(min_length=1, max_length=64)
    content: str = Field(min_length=1, max_length=10_000)
    # Strict, as in the JSON event: "3", true and 3.0 are not positions.
    position: int | None = Field(
        default=None, ge=0, strict=True, description="Character offset in the section."
    )


async def _completed_actor(services: Services, report_id: uuid.UUID) -> Any:
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status != "completed":
        raise ConflictError(
            f"report {report_id} is {record.status}; collaboration opens once it is completed",
            code="report_not_ready",
        )
    return services.hub.actor_for(report_id)


@router.post("/{report_id}/collaborate", summary="Start the report's collaboration session")
async def start_session(
    report_id: uuid.UUID, request: SessionRequest, services: ServicesDep, caller: ProjectManager
) -> dict[str, Any]:
    actor = await _completed_actor(services, report_id)
    view: dict[str, Any] = await actor.start_session.remote(
        request.session_type, request.resolved(caller.email), caller.email
    )
    return view


@router.get("/{report_id}/collaborate", summary="The collaboration session and its activity")
async def get_session(
    report_id: uuid.UUID, services: ServicesDep, caller: Viewer
) -> dict[str, Any]:
    actor = await _completed_actor(services, report_id)
    view: dict[str, Any] = await actor.session_view.remote()
    if view["session_id"] is None:
        raise NotFoundError(
            f"report {report_id} has no collaboration session; POST one first",
            code="no_session",
        )
    # The view lists the comments, which GET /comments withholds from those the session
    # leaves out.
    await require_permission(actor, report_id, caller, Permission.VIEW)
    return view


@router.get(
    "/{report_id}/collaborate/me", summary="The caller's permission for co-editing the report"
)
async def my_permission(
    report_id: uuid.UUID, services: ServicesDep, caller: Viewer
) -> dict[str, Any]:
    """Return what the caller may do over the WebSocket, so a client can show it up front."""
    actor = await _completed_actor(services, report_id)
    granted = await granted_permission(actor, caller)
    if granted is None:
        raise PermissionDeniedError(
            f"{caller.email} is not a participant of the collaboration session of report "
            f"{report_id}; ask its project manager to add you",
            code="not_a_participant",
        )
    return {"report_id": str(report_id), "user_id": caller.email, "permission": granted}


@router.get("/{report_id}/comments", summary="Comments on the report, oldest first")
async def list_comments(
    report_id: uuid.UUID,
    services: ServicesDep,
    caller: Viewer,
    section_id: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    actor = await _completed_actor(services, report_id)
    await require_permission(actor, report_id, caller, Permission.VIEW)
    return {"comments": await actor.comments.remote(section_id)}


@router.post("/{report_id}/comments", status_code=201, summary="Add a comment to a section")
async def add_comment(
    report_id: uuid.UUID, request: CommentRequest, services: ServicesDep, caller: Viewer
) -> dict[str, Any]:
    actor = await _completed_actor(services, report_id)
    await require_permission(actor, report_id, caller, Permission.COMMENT)
    comment: dict[str, Any] = await actor.add_comment.remote(
        request.section_id, request.content, request.position, caller.email
    )
    return comment


@router.post("/{report_id}/comments/{comment_id}/resolve", summary="Resolve a comment")
async def resolve_comment(
    report_id: uuid.UUID, comment_id: str, services: ServicesDep, caller: Viewer
) -> dict[str, Any]:
    actor = await _completed_actor(services, report_id)
    await require_permission(actor, report_id, caller, Permission.COMMENT)
    comment: dict[str, Any] = await actor.resolve_comment.remote(comment_id, caller.email)
    return comment
