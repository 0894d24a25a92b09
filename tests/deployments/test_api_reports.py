from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.auth import Role
from deployments.services import Services
from schedules import sample_project_bytes

Auth = Callable[[Role], dict[str, str]]

JOB_DEADLINE_SECONDS = 180.0
SECTIONS = ["executive_summary", "budget_analysis", "schedule_analysis", "risk_assessment"]


async def import_project(client: httpx.AsyncClient, auth: Auth, name: str, data: bytes) -> str:
    response = await client.post(
        "/api/projects/import", files={"file": (name, data)}, headers=auth(Role.PROJECT_MANAGER)
    )
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project_id"]
    return project_id


async def wait_for_job(client: httpx.AsyncClient, auth: Auth, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        response = await client.get(f"/api/jobs/{job_id}", headers=auth(Role.VIEWER))
        job: dict[str, Any] = response.json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {JOB_DEADLINE_SECONDS} s")


async def generate(
    client: httpx.AsyncClient, auth: Auth, project_id: str, month: str
) -> dict[str, Any]:
    response = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": project_id, "report_month": month},
        headers=auth(Role.PROJECT_MANAGER),
    )
    assert response.status_code == 202, response.text
    started: dict[str, Any] = response.json()
    assert started["status"] == "generating"
    job = await wait_for_job(client, auth, started["generation_job_id"])
    assert job["status"] == "completed", job
    report = await client.get(f"/api/reports/pmr/{started['id']}", headers=auth(Role.VIEWER))
    assert report.status_code == 200
    body: dict[str, Any] = report.json()
    return body


@pytest.fixture
async def sample_report(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())
    return await generate(client, auth, project_id, "2025-07")


async def test_generated_report_has_sections_insights_and_simulation(
    sample_report: dict[str, Any],
) -> None:
    report = sample_report

    assert report["status"] == "completed"
    assert [section["section_id"] for section in report["sections"]] == SECTIONS
    assert all(section["content"]["body"] for section in report["sections"])
    metrics = report["sections"][0]["content"]["key_metrics"]
    assert set(metrics) == {
        "budget_utilization",
        "cost_performance",
        "schedule_performance",
        "risk_score",
    }
    assert len(report["ai_insights"]) >= 3
    assert all(0 < insight["confidence_score"] < 1 for insight in report["ai_insights"])
    assert all(insight["supporting_data"] for insight in report["ai_insights"])
    monte_carlo = report["monte_carlo_analysis"]
    assert set(monte_carlo["budget_completion"]) == {"p50", "p80", "p95"}
    p50, p80, p95 = (monte_carlo["schedule_completion"][key] for key in ("p50", "p80", "p95"))
    assert p50 <= p80 <= p95
    assert report["version"] == 1
    assert report["generated_at"] is not None


async def test_generation_of_unknown_project_is_404(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": "00000000-0000-0000-0000-000000000001", "report_month": "2024-03"},
        headers=auth(Role.PROJECT_MANAGER),
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"report_month": "2024-03"}, "body.project_id", id="missing-project"),
        pytest.param(
            {"project_id": "00000000-0000-0000-0000-000000000001", "report_month": "2024-13"},
            "body.report_month",
            id="bad-month",
        ),
    ],
)
async def test_invalid_generation_request_names_field(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/api/reports/pmr/generate", json=body, headers=auth(Role.PROJECT_MANAGER)
    )

    problem = response.json()
    assert response.status_code == 422
    assert problem["code"] == "validation_failed"
    assert field in [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        pytest.param("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'"),
        pytest.param(None, "no Content-Type", id="none"),
    ],
)
async def test_json_body_without_json_content_type_names_header(
    client: httpx.AsyncClient, auth: Auth, content_type: str | None, named: str
) -> None:
    headers = auth(Role.PROJECT_MANAGER)
    if content_type is not None:
        headers["content-type"] = content_type
    body = b'{"project_id": "00000000-0000-0000-0000-000000000000", "report_month": "2024-03"}'

    response = await client.post("/api/reports/pmr/generate", content=body, headers=headers)

    problem = response.json()
    assert response.status_code == 422
    assert problem["code"] == "validation_failed"
    assert "Content-Type application/json" in problem["detail"]
    assert named in problem["detail"]


@pytest.mark.parametrize(
    ("strategy", "expected_start", "expected_end"),
    [
        pytest.param("replace", "New summary.", "New summary.", id="replace"),
        pytest.param("append", None, "\n\nNew summary.", id="append"),
    ],
)
async def test_section_update_applies_strategy(
    client: httpx.AsyncClient,
    auth: Auth,
    sample_report: dict[str, Any],
    strategy: str,
    expected_start: str | None,
    expected_end: str,
) -> None:
    report_id = sample_report["id"]
    old_body = sample_report["sections"][0]["content"]["body"]

    response = await client.put(
        f"/api/reports/pmr/{report_id}/sections/executive_summary",
        json={
            "content": {"body": "New summary.", "metrics": {"key_metric": 0.85}},
            "merge_strategy": strategy,
        },
        headers=auth(Role.EDITOR),
    )
    report = (await client.get(f"/api/reports/pmr/{report_id}", headers=auth(Role.VIEWER))).json()

    body = report["sections"][0]["content"]["body"]
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert report["version"] == 2
    assert body.endswith(expected_end)
    assert body.startswith(expected_start or old_body)
    metrics = report["sections"][0]["content"]["key_metrics"]
    assert metrics["key_metric"] == 0.85
    # Replace drops the generated metrics; append and merge keep them beside the new one.
    assert ("risk_score" in metrics) is (strategy != "replace")


async def test_section_merge_keeps_unchanged_text(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    report_id = sample_report["id"]
    old_body = sample_report["sections"][1]["content"]["body"]
    new_body = old_body.replace("Budget at completion", "The budget at completion", 1)

    response = await client.put(
        f"/api/reports/pmr/{report_id}/sections/budget_analysis",
        json={"content": {"body": new_body}, "merge_strategy": "merge"},
        headers=auth(Role.PROJECT_MANAGER),
    )

    assert response.status_code == 200
    assert response.json()["section"]["content"]["body"] == new_body


async def test_section_update_by_viewer_is_403(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    response = await client.put(
        f"/api/reports/pmr/{sample_report['id']}/sections/executive_summary",
        json={"content": {"body": "x"}},
        headers=auth(Role.VIEWER),
    )

    assert response.status_code == 403


async def test_section_update_follows_session(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    report_id = sample_report["id"]
    section_url = f"/api/reports/pmr/{report_id}/sections/executive_summary"
    session_url = f"/api/reports/pmr/{report_id}/collaborate"
    old_body = sample_report["sections"][0]["content"]["body"]
    update = {"content": {"body": "Edited."}, "merge_strategy": "replace"}

    await client.post(
        session_url,
        json={
            "participants": ["editor@example.com"],
            "permissions": {"editor@example.com": "comment"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    as_commenter = await client.put(section_url, json=update, headers=auth(Role.EDITOR))
    await client.post(
        session_url,
        json={"participants": ["viewer@example.com"]},
        headers=auth(Role.PROJECT_MANAGER),
    )
    left_out = await client.put(section_url, json=update, headers=auth(Role.EDITOR))
    report = (await client.get(f"/api/reports/pmr/{report_id}", headers=auth(Role.VIEWER))).json()
    await client.post(
        session_url,
        json={
            "participants": ["editor@example.com"],
            "permissions": {"editor@example.com": "edit"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    as_editor = await client.put(section_url, json=update, headers=auth(Role.EDITOR))

    assert as_commenter.status_code == 403
    assert as_commenter.json()["code"] == "permission_denied"
    assert "has comment" in as_commenter.json()["detail"]
    assert left_out.status_code == 403
    assert left_out.json()["code"] == "permission_denied"
    assert report["sections"][0]["content"]["body"] == old_body
    assert as_editor.status_code == 200, as_editor.text
    assert as_editor.json()["section"]["content"]["body"] == "Edited."


async def test_reads_follow_session(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    report_url = f"/api/reports/pmr/{sample_report['id']}"
    before = await client.get(report_url, headers=auth(Role.VIEWER))
    await client.post(
        f"{report_url}/collaborate",
        json={"participants": ["editor@example.com"]},
        headers=auth(Role.PROJECT_MANAGER),
    )

    left_out = [
        await client.get(report_url, headers=auth(Role.VIEWER)),
        await client.get(f"{report_url}/insights", headers=auth(Role.VIEWER)),
        await client.get(f"{report_url}/insights/any/validation", headers=auth(Role.VIEWER)),
    ]
    participant = await client.get(report_url, headers=auth(Role.EDITOR))
    admin = await client.get(report_url, headers=auth(Role.ADMIN))

    assert before.status_code == 200
    for response in left_out:
        assert response.status_code == 403, response.url
        assert response.json()["code"] == "permission_denied"
        assert "viewer@example.com is not a participant" in response.json()["detail"]
    assert participant.status_code == 200
    assert admin.status_code == 200


async def test_changes_follow_session(
    client: httpx.AsyncClient, auth: Auth, services: Services, sample_report: dict[str, Any]
) -> None:
    report_url = f"/api/reports/pmr/{sample_report['id']}"
    await client.post(
        f"{report_url}/collaborate",
        json={"participants": ["editor@example.com"]},
        headers=auth(Role.PROJECT_MANAGER),
    )
    # A project manager whom the session leaves out.
    token = services.tokens.issue("other_pm@example.com", Role.PROJECT_MANAGER)
    other_manager = {"Authorization": f"Bearer {token}"}

    simulation = await client.post(
        f"{report_url}/monte-carlo", json={"iterations": 1000}, headers=other_manager
    )
    insights = await client.post(f"{report_url}/insights/generate", json={}, headers=other_manager)

    for response in (simulation, insights):
        assert response.status_code == 403, response.url
        assert response.json()["code"] == "permission_denied"
        assert "other_pm@example.com needs edit permission" in response.json()["detail"]


async def test_update_of_unknown_section_is_404(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    response = await client.put(
        f"/api/reports/pmr/{sample_report['id']}/sections/no_such_section",
        json={"content": {"body": "x"}},
        headers=auth(Role.EDITOR),
    )

    assert response.status_code == 404
    assert response.json()["code"] == "section_not_found"
    assert "executive_summary" in response.json()["detail"]


async def test_templates_lists_built_in_ones(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get("/api/reports/pmr/templates", headers=auth(Role.VIEWER))

    templates = {template["template_type"]: template for template in response.json()["templates"]}
    assert response.status_code == 200
    assert {"executive", "detailed"} <= set(templates)
    sections = [section["section_id"] for section in templates["executive"]["sections"]]
    assert sections[:4] == SECTIONS
    assert "ai_suggestions" in templates["executive"]["sections"][0]


async def test_unknown_job_is_404(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get(
        "/api/jobs/00000000-0000-0000-0000-000000000002", headers=auth(Role.VIEWER)
    )

    assert response.status_code == 404


async def test_real_schedule_report_end_to_end(
    client: httpx.AsyncClient, auth: Auth, shared_data: Path
) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    project_id = await import_project(client, auth, "sp10.xer", data)

    report = await generate(client, auth, project_id, "2017-09")

    assert [section["section_id"] for section in report["sections"]] == SECTIONS
    assert report["key_metrics"]["budget_utilization"] == pytest.approx(
        16_001_858.6 / 215_918_496.41, abs=1e-4
    )
    assert len(report["ai_insights"]) >= 3
    kinds = {insight["insight_type"] for insight in report["ai_insights"]}
    assert {"prediction", "alert", "recommendation"} <= kinds
    monte_carlo = report["monte_carlo_analysis"]
    assert set(monte_carlo["budget_completion"]) == {"p50", "p80", "p95"}
    assert set(monte_carlo["schedule_completion"]) == {"p50", "p80", "p95"}
    assert monte_carlo["criticality"]


@pytest.mark.parametrize(
    ("month", "words"),
    [
        pytest.param("2025-09", "after the project's data date", id="after-data-date"),
        pytest.param("2024-01", "before the project's data date", id="long-before"),
    ],
)
async def test_report_month_must_fit_data_date(
    client: httpx.AsyncClient, auth: Auth, month: str, words: str
) -> None:
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())

    response = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": project_id, "report_month": month},
        headers=auth(Role.PROJECT_MANAGER),
    )

    assert response.status_code == 422
    assert response.json()["code"] == "report_month_mismatch"
    assert words in response.json()["detail"]


async def test_detailed_template_fills_every_section(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    templates = (await client.get("/api/reports/pmr/templates", headers=auth(Role.VIEWER))).json()
    detailed = next(t for t in templates["templates"] if t["template_type"] == "detailed")
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())

    response = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": project_id, "report_month": "2025-07", "template_id": detailed["id"]},
        headers=auth(Role.PROJECT_MANAGER),
    )
    job = await wait_for_job(client, auth, response.json()["generation_job_id"])
    report = (
        await client.get(f"/api/reports/pmr/{response.json()['id']}", headers=auth(Role.VIEWER))
    ).json()

    expected = {section["section_id"]: section["title"] for section in detailed["sections"]}
    actual = {section["section_id"]: section["title"] for section in report["sections"]}
    assert job["status"] == "completed"
    assert actual == expected
    assert all(section["content"]["body"] for section in report["sections"])


async def test_session_starter_keeps_edit_permission(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())
    report = await generate(client, auth, project_id, "2025-07")
    url = f"/api/reports/pmr/{report['id']}/collaborate"

    started = await client.post(
        url, json={"participants": ["viewer@example.com"]}, headers=auth(Role.PROJECT_MANAGER)
    )
    starter = await client.get(f"{url}/me", headers=auth(Role.PROJECT_MANAGER))
    listed = await client.post(
        url,
        json={
            "participants": ["viewer@example.com", "Project_Manager@example.com"],
            "permissions": {"Project_Manager@example.com": "comment"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    restricted = await client.get(f"{url}/me", headers=auth(Role.PROJECT_MANAGER))
    editor = await client.get(f"{url}/me", headers=auth(Role.EDITOR))

    assert started.status_code == 200, started.text
    assert started.json()["participants"] == [
        {"user_id": "project_manager@example.com", "permission": "edit"},
        {"user_id": "viewer@example.com", "permission": "view"},
    ]
    assert starter.json()["permission"] == "edit"
    assert listed.status_code == 200, listed.text
    assert restricted.json()["permission"] == "comment"
    assert editor.status_code == 403
    assert editor.json()["code"] == "not_a_participant"


async def test_session_view_needs_participation(
    client: httpx.AsyncClient, auth: Auth, sample_report: dict[str, Any]
) -> None:
    url = f"/api/reports/pmr/{sample_report['id']}/collaborate"
    started = await client.post(
        url, json={"participants": ["viewer@example.com"]}, headers=auth(Role.PROJECT_MANAGER)
    )

    participant = await client.get(url, headers=auth(Role.VIEWER))
    left_out = await client.get(url, headers=auth(Role.EDITOR))
    comments = await client.get(
        f"{url.removesuffix('/collaborate')}/comments", headers=auth(Role.EDITOR)
    )

    assert started.status_code == 200, started.text
    assert participant.status_code == 200, participant.text
    assert "comments" in participant.json()
    assert left_out.status_code == 403
    assert left_out.json()["code"] == "permission_denied"
    assert "editor@example.com" in left_out.json()["detail"]
    assert comments.status_code == left_out.status_code
