"""Reading the audit trail: a report's entries for its project managers, all for admins.

A report's project managers are the callers with the project_manager role who created
the report or take part in its collaboration session. Admins read every report's entries
and the whole trail, template changes included.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from deployments.auth import Principal, Role
from deployments.dependencies import ProjectManager, ServicesDep, require
from deployments.errors import PermissionDeniedError
from deployments.services import Services
from storage import (
    AuditEntry,
    AuditEvent,
    AuditTarget,
    CollaborationRepository,
    ReportRecord,
    normalise_email,
)

router = APIRouter(tags=["audit"])
# Sequence numbers are BIGINT columns, so a larger after_seq cannot be bound in a query.
_MAX_SEQ = 2**63 - 1
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


async def record_audit(services: Services, event: AuditEvent) -> None:
    """Append one entry to the audit trail, before the request that made the change returns."""
    await asyncio.to_thread(services.audit.append, [event])


async def require_report_manager(
    services: Services, record: ReportRecord, caller: Principal
) -> None:
    """Raise 403 unless the caller is an admin or one of the report's project managers."""
    if caller.role is Role.ADMIN:
        return
    email = normalise_email(caller.email)
    if record.created_by and normalise_email(record.created_by) == email:
        return
    session = await asyncio.to_thread(CollaborationRepository(services.database).get, record.id)
    if session is not None and session.permission_of(email) is not None:
        return
    raise PermissionDeniedError(
        f"{caller.email} is neither the creator of report {record.id} nor a participant of "
        "its collaboration session; ask an admin for its audit trail",
        code="not_a_report_manager",
    )


def _page(entries: list[AuditEntry], limit: int) -> dict[str, Any]:
    return {
        "entries": [entry.as_dict() for entry in entries],
        "next_after_seq": entries[-1].seq if len(entries) == limit else None,
    }


@router.get(
    "/api/reports/pmr/{report_id}/audit",
    summary="The report's audit trail, oldest first; page with after_seq",
)
async def report_audit(
    report_id: uuid.UUID,
    services: ServicesDep,
    caller: ProjectManager,
    after_seq: Annotated[int, Query(ge=0, le=_MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    record = await asyncio.to_thread(services.reports.get, report_id)
    await require_report_manager(services, record, caller)
    entries = await asyncio.to_thread(
        services.audit.for_report, report_id, after_seq=after_seq, limit=limit
    )
    return {"report_id": str(report_id), **_page(entries, limit)}


@router.get("/api/audit", summary="The whole audit trail, oldest first; admins only")
async def whole_audit(
    services: ServicesDep,
    _: Admin,
    after_seq: Annotated[int, Query(ge=0, le=_MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    target_type: AuditTarget | None = None,
) -> dict[str, Any]:
    entries = await asyncio.to_thread(
        services.audit.entries, after_seq=after_seq, limit=limit, target_type=target_type
    )
    return _page(entries, limit)
