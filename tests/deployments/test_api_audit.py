"""The audit trail through the API: one entry per change kind, and who may read it."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from deployments.auth import Role
from deployments.services import Services
from schedules import sample_project_bytes
from storage import AuditEntry
from tests.deployments.test_api_reports import generate, import_project, wait_for_job

Auth = Callable[[Role], dict[str, str]]


@pytest.fixture
async def report(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())
    return await generate(client, auth, project_id, "2025-07")


async def audit_of(services: Services, report_id: str) -> list[AuditEntry]:
    return await asyncio.to_thread(services.audit.for_report, uuid.UUID(report_id), limit=1000)


def actions(entries: list[AuditEntry]) -> list[str]:
    return [entry.action for entry in entries]


async def test_report_changes_are_audited(
    client: httpx.AsyncClient, auth: Auth, services: Services, report: dict[str, Any]
) -> None:
    report_id = report["id"]

    updated = await client.put(
        f"/api/reports/pmr/{report_id}/sections/executive_summary",
        json={"content": {"body": "Audited summary."}, "merge_strategy": "replace"},
        headers=auth(Role.EDITOR),
    )
    session = await client.post(
        f"/api/reports/pmr/{report_id}/collaborate",
        json={
            "participants": ["editor@example.com"],
            "permissions": {"editor@example.com": "edit"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    exported = await client.post(
        f"/api/reports/pmr/{report_id}/export", json={"format": "excel"}, headers=auth(Role.EDITOR)
    )
    assert exported.status_code == 202, exported.text
    job = await wait_for_job(client, auth, exported.json()["export_job_id"])
    entries = await audit_of(services, report_id)

    assert updated.status_code == 200, updated.text
    assert session.status_code in (200, 201), session.text
    assert job["status"] == "completed", job
    assert actions(entries)[0] == "report_created"
    assert entries[0].actor == "project_manager@example.com"
    section = next(e for e in entries if e.action == "section_updated")
    assert section.actor == "editor@example.com"
    assert section.target_id == "executive_summary"
    assert section.before_hash is not None
    assert section.after_hash is not None
    assert section.before_hash != section.after_hash
    permissions = next(e for e in entries if e.action == "session_started")
    assert permissions.actor == "project_manager@example.com"
    assert permissions.after_hash is not None
    export = next(e for e in entries if e.action == "report_exported")
    assert export.actor == "editor@example.com"
    assert export.detail["format"] == "excel"
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


async def test_template_changes_are_audited(
    client: httpx.AsyncClient, auth: Auth, services: Services
) -> None:
    body = {
        "name": f"Audited pack {uuid.uuid4().hex[:6]}",
        "description": "Summary only.",
        "template_type": "board",
        "sections": [{"section_id": "executive_summary", "title": "Executive Summary"}],
        "export_formats": ["pdf"],
        "styling": {},
    }
    admin = auth(Role.ADMIN)

    created = await client.post("/api/reports/pmr/templates", json=body, headers=admin)
    template_id = created.json()["id"]
    replaced = await client.put(
        f"/api/reports/pmr/templates/{template_id}",
        json={**body, "description": "Still summary only."},
        headers=admin,
    )
    trail = await client.get(
        "/api/audit", params={"target_type": "template", "limit": 1000}, headers=admin
    )

    assert created.status_code == 201, created.text
    assert replaced.status_code == 200, replaced.text
    assert trail.status_code == 200, trail.text
    mine = [e for e in trail.json()["entries"] if e["target_id"] == template_id]
    assert [e["action"] for e in mine] == ["template_created", "template_replaced"]
    assert mine[0]["before_hash"] is None
    assert mine[1]["before_hash"] == mine[0]["after_hash"]
    assert mine[1]["after_hash"] != mine[0]["after_hash"]


async def test_logo_upload_is_audited(client: httpx.AsyncClient, auth: Auth) -> None:
    image = io.BytesIO()
    Image.new("RGB", (60, 20), "#1f4e79").save(image, format="PNG")

    uploaded = await client.post(
        "/api/branding/logos",
        files={"file": ("logo.png", image.getvalue(), "image/png")},
        headers=auth(Role.EDITOR),
    )
    trail = await client.get(
        "/api/audit", params={"target_type": "logo", "limit": 1000}, headers=auth(Role.ADMIN)
    )

    assert uploaded.status_code == 201, uploaded.text
    assert trail.status_code == 200, trail.text
    logo = uploaded.json()
    mine = [e for e in trail.json()["entries"] if e["target_id"] == logo["logo_id"]]
    assert [e["action"] for e in mine] == ["logo_uploaded"]
    assert mine[0]["actor"] == "editor@example.com"
    assert mine[0]["before_hash"] is None
    assert mine[0]["after_hash"] == logo["sha256"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.ADMIN, 200, id="admin"),
        pytest.param(Role.PROJECT_MANAGER, 200, id="creator-pm"),
        pytest.param(Role.EDITOR, 403, id="editor"),
        pytest.param(Role.VIEWER, 403, id="viewer"),
    ],
)
async def test_report_audit_endpoint_permissions(
    client: httpx.AsyncClient, auth: Auth, report: dict[str, Any], role: Role, expected: int
) -> None:
    response = await client.get(f"/api/reports/pmr/{report['id']}/audit", headers=auth(role))

    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["entries"][0]["action"] == "report_created"


async def test_report_audit_rejects_other_project_manager(
    client: httpx.AsyncClient, services: Services, report: dict[str, Any]
) -> None:
    token = services.tokens.issue("other_pm@example.com", Role.PROJECT_MANAGER)

    response = await client.get(
        f"/api/reports/pmr/{report['id']}/audit", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_report_manager"


async def test_whole_audit_is_for_admins_only(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get("/api/audit", headers=auth(Role.PROJECT_MANAGER))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/audit", f"/api/reports/pmr/{uuid.uuid4()}/audit"], ids=["all", "report"]
)
@pytest.mark.parametrize("after_seq", [2**63, 10**25], ids=["int64-max-plus-one", "huge"])
async def test_audit_after_seq_past_int64_is_rejected(
    client: httpx.AsyncClient, auth: Auth, path: str, after_seq: int
) -> None:
    response = await client.get(path, params={"after_seq": after_seq}, headers=auth(Role.ADMIN))

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["field"] == "query.after_seq"
