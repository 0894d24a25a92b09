from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from deployments.auth import Role
from deployments.schemas import MonteCarloParameters
from schedules import sample_project_bytes

Auth = Callable[[Role], dict[str, str]]

JOB_DEADLINE_SECONDS = 240.0


async def wait_for_job(
    client: httpx.AsyncClient,
    auth: Auth,
    job_id: str,
    *,
    until: tuple[str, ...] = ("completed", "failed", "cancelled"),
) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        job: dict[str, Any] = (
            await client.get(f"/api/jobs/{job_id}", headers=auth(Role.VIEWER))
        ).json()
        if job["status"] in until:
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {until} within {JOB_DEADLINE_SECONDS} s")


async def sample_report(client: httpx.AsyncClient, auth: Auth) -> str:
    imported = await client.post(
        "/api/projects/import",
        files={"file": ("sample.json", sample_project_bytes())},
        headers=auth(Role.PROJECT_MANAGER),
    )
    started = (
        await client.post(
            "/api/reports/pmr/generate",
            json={
                "project_id": imported.json()["project_id"],
                "report_month": "2025-07",
                "include_monte_carlo": False,
            },
            headers=auth(Role.PROJECT_MANAGER),
        )
    ).json()
    job = await wait_for_job(client, auth, started["generation_job_id"])
    assert job["status"] == "completed", job
    identifier: str = started["id"]
    return identifier


async def run(
    client: httpx.AsyncClient, auth: Auth, report: str, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    response = await client.post(
        f"/api/reports/pmr/{report}/monte-carlo", json=body, headers=auth(Role.PROJECT_MANAGER)
    )
    assert response.status_code == 202, response.text
    started: dict[str, Any] = response.json()
    job = await wait_for_job(client, auth, started["job_id"])
    return started, job


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"iterations": 10}, "body.iterations", id="too-few-iterations"),
        pytest.param({"iterations": 2_000_000}, "body.iterations", id="too-many-iterations"),
        pytest.param(
            {"confidence_levels": [0.5, 1.0]}, "body.confidence_levels.1", id="level-one"
        ),
        pytest.param({"confidence_levels": [0.0]}, "body.confidence_levels.0", id="level-zero"),
        pytest.param(
            {"confidence_levels": [0.5, 0.50000000001]},
            "body.confidence_levels",
            id="levels-sharing-a-key",
        ),
        pytest.param(
            {"confidence_levels": [1e-300, 0.5]}, "body.confidence_levels", id="level-reading-p0"
        ),
        pytest.param({"analysis_type": "weather"}, "body.analysis_type", id="unknown-type"),
        pytest.param(
            {"parameters": {"resource_availability": 0}},
            "body.parameters.resource_availability",
            id="no-resources",
        ),
        pytest.param(
            {"parameters": {"resource_availability": 3e-5}},
            "body.parameters.resource_availability",
            id="resources-near-zero",
        ),
        pytest.param(
            {"parameters": {"resource_availability": 0.099}},
            "body.parameters.resource_availability",
            id="resources-below-tenth",
        ),
    ],
)
async def test_invalid_request_names_field(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/api/reports/pmr/00000000-0000-0000-0000-000000000009/monte-carlo",
        json=body,
        headers=auth(Role.PROJECT_MANAGER),
    )

    problem = response.json()
    assert response.status_code == 422
    assert field in [error["field"] for error in problem["errors"]]


async def test_low_availability_message_gives_minimum(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.post(
        "/api/reports/pmr/00000000-0000-0000-0000-000000000009/monte-carlo",
        json={"parameters": {"resource_availability": 3e-5}},
        headers=auth(Role.PROJECT_MANAGER),
    )

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert errors[0]["field"] == "body.parameters.resource_availability"
    assert "greater than or equal to 0.1" in errors[0]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param('{"confidence_levels": [NaN]}', "body.confidence_levels.0", id="nan-level"),
        pytest.param(
            '{"parameters": {"budget_uncertainty": Infinity}}',
            "body.parameters.budget_uncertainty",
            id="infinite-spread",
        ),
    ],
)
async def test_non_finite_number_is_named(
    client: httpx.AsyncClient, auth: Auth, body: str, field: str
) -> None:
    response = await client.post(
        "/api/reports/pmr/00000000-0000-0000-0000-000000000009/monte-carlo",
        content=body,
        headers={**auth(Role.PROJECT_MANAGER), "content-type": "application/json"},
    )

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert errors[0]["field"] == field
    assert "finite number" in errors[0]["message"]


async def test_broken_json_names_the_body(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post(
        "/api/reports/pmr/00000000-0000-0000-0000-000000000009/monte-carlo",
        content='{"iterations": 100',
        headers={**auth(Role.PROJECT_MANAGER), "content-type": "application/json"},
    )

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert errors[0]["field"] == "body"
    assert "after 18 characters of the body" in errors[0]["message"]


def test_availability_range_bounds_are_allowed() -> None:
    for availability in (0.1, 1.0):
        parameters = MonteCarloParameters(resource_availability=availability)
        assert parameters.resource_availability == availability


async def test_analysis_lands_in_report(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await sample_report(client, auth)

    started, job = await run(
        client,
        auth,
        report,
        {
            "analysis_type": "both",
            "iterations": 2000,
            "confidence_levels": [0.5, 0.8, 0.95],
            "seed": 7,
        },
    )
    body = (await client.get(f"/api/reports/pmr/{report}", headers=auth(Role.VIEWER))).json()

    analysis = body["monte_carlo_analysis"]
    assert job["status"] == "completed", job
    assert started["seed"] == 7
    assert set(analysis["budget_completion"]) == {"p50", "p80", "p95"}
    assert set(analysis["schedule_completion"]) == {"p50", "p80", "p95"}
    assert analysis["iterations"] == 2000
    assert analysis["analysis_type"] == "both"
    assert analysis["deterministic_finish"] is not None
    assert analysis["schedule"]["merge_bias_hours"] is not None
    assert analysis["criticality"]
    top = analysis["criticality"][0]
    assert analysis["criticality_index"][top["activity_id"]] == top["index"]
    assert len(analysis["criticality_index"]) >= len(analysis["criticality"])
    assert analysis["sensitivity"]["finish"]
    assert analysis["sensitivity"]["cost"]
    assert analysis["cost"]["histogram"]
    assert analysis["schedule"]["s_curve"]
    assert job["result"]["budget_completion"] == analysis["budget_completion"]


async def test_same_seed_gives_same_result(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await sample_report(client, auth)
    body = {"analysis_type": "both", "iterations": 1500, "seed": 42}

    _, first = await run(client, auth, report, body)
    _, second = await run(client, auth, report, body)

    assert first["result"]["budget_completion"] == second["result"]["budget_completion"]
    assert first["result"]["schedule_completion"] == second["result"]["schedule_completion"]


async def test_budget_analysis_leaves_out_schedule(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await sample_report(client, auth)

    _, job = await run(
        client, auth, report, {"analysis_type": "budget_variance", "iterations": 500}
    )
    body = (await client.get(f"/api/reports/pmr/{report}", headers=auth(Role.VIEWER))).json()

    analysis = body["monte_carlo_analysis"]
    assert job["status"] == "completed"
    assert "budget_completion" in analysis
    for schedule_part in ("schedule_completion", "schedule", "criticality_index"):
        assert schedule_part not in analysis
    assert "finish" not in analysis["sensitivity"]
    assert "cost" in analysis["sensitivity"]


async def test_cancelled_job_stops_and_stores_nothing(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    report = await sample_report(client, auth)
    response = await client.post(
        f"/api/reports/pmr/{report}/monte-carlo",
        json={"iterations": 1_000_000},
        headers=auth(Role.PROJECT_MANAGER),
    )
    job_id = response.json()["job_id"]
    await wait_for_job(client, auth, job_id, until=("running",))

    cancelled = await client.post(f"/api/jobs/{job_id}/cancel", headers=auth(Role.PROJECT_MANAGER))
    job = await wait_for_job(client, auth, job_id)
    body = (await client.get(f"/api/reports/pmr/{report}", headers=auth(Role.VIEWER))).json()

    assert cancelled.status_code == 200
    assert job["status"] == "cancelled"
    assert body["monte_carlo_analysis"] is None
