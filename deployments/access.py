"""Who may read and change one report: its collaboration session decides, else the role.

Once a session exists, only its participants (and admins) read the report, its insights,
comments and exports, and only those with edit permission change it, over REST as over the
WebSocket. Without a session every role may read, and the role decides who edits.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from deployments.auth import Principal, Role
from deployments.errors import PermissionDeniedError
from deployments.services import Services
from storage import CollaborationRepository, Permission

# The permission each role has on a report without a collaboration session.
ROLE_PERMISSION = {
    Role.VIEWER: Permission.VIEW,
    Role.EDITOR: Permission.EDIT,
    Role.PROJECT_MANAGER: Permission.EDIT,
    Role.ADMIN: Permission.EDIT,
}


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


async def granted_permission(actor: Any, caller: Principal) -> str | None:
    """Return the caller's permission on the actor's report, or None for a non-participant."""
    granted: str | None = await actor.permission_for.remote(
        caller.email, ROLE_PERMISSION[caller.role].value, caller.role is Role.ADMIN
    )
    return granted


async def require_permission(
    actor: Any, report_id: uuid.UUID, caller: Principal, needed: Permission
) -> None:
    """Raise 403 unless the actor's report gives the caller ``needed`` or more."""
    granted = await granted_permission(actor, caller)
    if granted is None or not Permission(granted).includes(needed):
        raise PermissionDeniedError(
            f"{caller.email} needs {needed.value} permission on report {report_id} and has "
            f"{granted or 'none'}",
            code="permission_denied",
        )


async def require_edit(services: Services, report_id: uuid.UUID, caller: Principal) -> None:
    """Raise 403 unless the caller may edit the report (its session decides, else the role)."""
    actor = services.hub.actor_for(report_id)
    await require_permission(actor, report_id, caller, Permission.EDIT)
