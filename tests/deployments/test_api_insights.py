"""Insights over the API: regeneration fanned out on Ray, validation with its log, sp10."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.auth import Role
from schedules import sample_project_bytes

Auth = Callable[[Role], dict[str, str]]
JOB_DEADLINE_SECONDS = 600.0
FIELDS = {
    "insight_id",
    "insight_type",
    "category",
    "title",
    "content",
    "confidence_score",
    "supporting_data",
    "predicted_impact",
    "recommended_actions",
    "priority",
    "validation_status",
    "generated_at",
}


async def report_of(
    client: httpx.AsyncClient, auth: Auth, name: str, data: bytes, month: str
) -> dict[str, Any]:
    pm = auth(Role.PROJECT_MANAGER)
    imported = await client.post("/api/projects/import", files={"file": (name, data)}, headers=pm)
    assert imported.status_code == 201, imported.text
    started = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": imported.json()["project_id"], "report_month": month},
        headers=pm,
    )
    job_url = f"/api/jobs/{started.json()['generation_job_id']}"
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    job = (await client.get(job_url, headers=pm)).json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        # NOTE: the jobs API has no wait; this polls it under a deadline.
        job = (await client.get(job_url, headers=pm)).json()
    assert job["status"] == "completed", job
    report = await client.get(f"/api/reports/pmr/{started.json()['id']}", headers=pm)
    body: dict[str, Any] = report.json()
    return body


async def test_generate_filters_types_and_categories(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    report = await report_of(client, auth, "s.json", sample_project_bytes(), "2025-07")

    response = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/generate",
        json={
            "insight_types": ["prediction", "alert", "recommendation"],
            "categories": ["budget", "resource"],
            "context": {"focus_areas": ["resource_levelling"], "time_horizon": "6_months"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    body = response.json()
    stored = await client.get(f"/api/reports/pmr/{report['id']}", headers=auth(Role.VIEWER))

    assert response.status_code == 200, response.text
    assert body["horizon_months"] == 6
    assert body["focus"] == ["resource"]
    insights = body["insights"]
    assert {i["category"] for i in insights} == {"budget", "resource"}
    assert {i["insight_type"] for i in insights} == {"prediction", "alert", "recommendation"}
    assert insights[0]["category"] == "resource"
    assert all(set(i) == FIELDS for i in insights)
    categories = {i["category"] for i in stored.json()["ai_insights"]}
    assert {"schedule", "risk", "quality"} <= categories


async def test_insights_cite_project_passages(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await report_of(client, auth, "s.json", sample_project_bytes(), "2025-07")

    response = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/generate",
        json={"categories": ["risk"]},
        headers=auth(Role.PROJECT_MANAGER),
    )

    cited = [
        passage["passage_id"]
        for insight in response.json()["insights"]
        for passage in insight["supporting_data"].get("passages", [])
    ]
    assert response.status_code == 200, response.text
    assert any(passage_id.startswith("risk:") for passage_id in cited)


async def test_validation_is_applied_logged_and_kept(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    report = await report_of(client, auth, "s.json", sample_project_bytes(), "2025-07")
    insight = report["ai_insights"][0]
    url = f"/api/reports/pmr/{report['id']}/insights/{insight['insight_id']}/validation"

    rejected = await client.post(
        url, json={"validation_status": "rejected", "comment": "Stale"}, headers=auth(Role.EDITOR)
    )
    validated = await client.post(
        url, json={"validation_status": "validated"}, headers=auth(Role.PROJECT_MANAGER)
    )
    log = await client.get(url, headers=auth(Role.VIEWER))
    regenerated = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/generate",
        json={},
        headers=auth(Role.PROJECT_MANAGER),
    )

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["insight"]["validation_status"] == "rejected"
    assert validated.json()["review"]["previous_status"] == "rejected"
    assert [(r["validation_status"], r["user_id"]) for r in log.json()] == [
        ("rejected", "editor@example.com"),
        ("validated", "project_manager@example.com"),
    ]
    assert log.json()[0]["comment"] == "Stale"
    again = next(
        i for i in regenerated.json()["insights"] if i["insight_id"] == insight["insight_id"]
    )
    if again["content"] == insight["content"]:
        assert again["validation_status"] == "validated"
    else:
        assert again["validation_status"] == "pending"


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        pytest.param(Role.VIEWER, {"validation_status": "validated"}, 403, id="viewer"),
        pytest.param(Role.EDITOR, {"validation_status": "maybe"}, 422, id="bad-status"),
    ],
)
async def test_validation_refusals(
    client: httpx.AsyncClient, auth: Auth, role: Role, body: dict[str, str], status: int
) -> None:
    report = await report_of(client, auth, "s.json", sample_project_bytes(), "2025-07")
    insight_id = report["ai_insights"][0]["insight_id"]

    response = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/{insight_id}/validation",
        json=body,
        headers=auth(role),
    )

    assert response.status_code == status


async def test_unknown_insight_and_bad_context_are_refused(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    report = await report_of(client, auth, "s.json", sample_project_bytes(), "2025-07")

    missing = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/0000/validation",
        json={"validation_status": "validated"},
        headers=auth(Role.EDITOR),
    )
    bad = await client.post(
        f"/api/reports/pmr/{report['id']}/insights/generate",
        json={"context": {"focus_areas": ["vibes"], "time_horizon": "forever"}},
        headers=auth(Role.PROJECT_MANAGER),
    )

    assert missing.status_code == 404
    assert missing.json()["code"] == "insight_not_found"
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"body.context.focus_areas", "body.context.time_horizon"}


async def test_documents_upload_and_search(client: httpx.AsyncClient, auth: Auth) -> None:
    pm = auth(Role.PROJECT_MANAGER)
    imported = await client.post(
        "/api/projects/import", files={"file": ("s.json", sample_project_bytes())}, headers=pm
    )
    project_id = imported.json()["project_id"]
    note = b"# Site diary\n\nThe crane supplier confirmed the lift window for the main span.\n"

    uploaded = await client.post(
        f"/api/projects/{project_id}/documents", files={"file": ("diary.md", note)}, headers=pm
    )
    rejected = await client.post(
        f"/api/projects/{project_id}/documents",
        files={"file": ("scan.docx", b"PK\x03\x04")},
        headers=pm,
    )
    found = await client.get(
        f"/api/projects/{project_id}/documents/search",
        params={"q": "crane supplier lift window"},
        headers=auth(Role.VIEWER),
    )

    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["passages"] == 1
    assert rejected.status_code == 415
    top = found.json()["passages"][0]
    assert top["source"] == "document"
    assert top["locator"] == "diary.md, section Site diary, paragraph 1"


async def test_sp10_insights_cover_categories(
    client: httpx.AsyncClient, auth: Auth, shared_data: Path
) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    report = await report_of(client, auth, "sp10-cost-loaded.xer", data, "2017-09")

    insights = report["ai_insights"]

    kinds = {(i["category"], i["insight_type"]) for i in insights}
    for category in ("budget", "schedule", "resource"):
        for kind in ("prediction", "alert", "recommendation"):
            assert (category, kind) in kinds
    assert {("quality", "alert"), ("quality", "recommendation"), ("risk", "summary")} <= kinds
    assert all(0 < i["confidence_score"] < 1 for i in insights)
    assert len({i["confidence_score"] for i in insights}) > 5
    assert all(
        i["supporting_data"].get("source") or i["supporting_data"].get("alert_id")
        for i in insights
    )
