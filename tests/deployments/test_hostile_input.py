"""Hostile requests that get a 5xx response, a half-stored result or an unclear error.

Each test states the behaviour the API should have. A test marked ``xfail(strict=True)``
pins a defect that is still open. When the defect is fixed, the test passes, pytest reports
the strict xfail as a failure, and the mark must be removed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from deployments.auth import Role
from schedules import sample_project_bytes

Auth = Callable[[Role], dict[str, str]]

JOB_DEADLINE_SECONDS = 180.0
PROBLEM_JSON = "application/problem+json"


def xer_file(*, cost: str = "1000", task_ids: tuple[str, str] = ("1", "2")) -> bytes:
    """Return a two-activity XER export whose first activity carries ``cost``."""
    first, second = task_ids
    lines = [
        "ERMHDR\t8.1\t2024-10-01\tProject\tadmin\tx\tdb\tGBP",
        "%T\tPROJECT",
        "%F\tproj_id\tproj_short_name\tlast_recalc_date",
        "%R\t10\tBRIDGE\t2024-10-01 00:00",
        "%T\tTASK",
        "%F\ttask_id\tproj_id\ttask_code\ttask_name\ttarget_drtn_hr_cnt"
        "\ttarget_start_date\ttarget_end_date",
        f"%R\t{first}\t10\tA100\tSurvey\t40\t2024-10-07 08:00\t2024-10-11 16:00",
        f"%R\t{second}\t10\tA110\tDesign\t40\t2024-10-14 08:00\t2024-10-18 16:00",
        "%T\tTASKRSRC",
        "%F\ttaskrsrc_id\ttask_id\tproj_id\ttarget_cost\tremain_cost",
        f"%R\t1\t{first}\t10\t{cost}\t{cost}",
        "%E",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def tiny_project(*, cost: float, **extra: Any) -> bytes:
    """Return a JSON project with activities A and B, each budgeted at ``cost``."""
    document = {
        "format": "enhanced-pmr-project",
        "version": 1,
        "project": {
            "id": "T",
            "name": "Tiny",
            "currency": "GBP",
            "data_date": "2025-01-15T17:00:00",
        },
        "activities": [
            {
                "code": code,
                "name": code,
                "original_duration": 5,
                "planned_start": "2025-01-06T08:00:00",
                "planned_finish": "2025-01-10T17:00:00",
                "budgeted_cost": cost,
            }
            for code in ("A", "B")
        ],
        **extra,
    }
    return json.dumps(document).encode()


async def project_count(client: httpx.AsyncClient, auth: Auth) -> int:
    response = await client.get("/api/projects", headers=auth(Role.VIEWER))
    assert response.status_code == 200
    return len(response.json())


async def import_file(
    client: httpx.AsyncClient, auth: Auth, name: str, data: bytes
) -> httpx.Response:
    return await client.post(
        "/api/projects/import", files={"file": (name, data)}, headers=auth(Role.PROJECT_MANAGER)
    )


async def start_generation(
    client: httpx.AsyncClient, auth: Auth, name: str, data: bytes
) -> dict[str, Any]:
    imported = await import_file(client, auth, name, data)
    assert imported.status_code == 201, imported.text
    response = await client.post(
        "/api/reports/pmr/generate",
        json={
            "project_id": imported.json()["project_id"],
            "report_month": imported.json()["data_date"][:7],
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    assert response.status_code == 202, response.text
    started: dict[str, Any] = response.json()
    return started


async def finished_job(client: httpx.AsyncClient, auth: Auth, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        response = await client.get(f"/api/jobs/{job_id}", headers=auth(Role.VIEWER))
        job: dict[str, Any] = response.json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {JOB_DEADLINE_SECONDS} s")


@pytest.fixture
async def completed_report(client: httpx.AsyncClient, auth: Auth) -> str:
    started = await start_generation(client, auth, "sample.json", sample_project_bytes())
    job = await finished_job(client, auth, started["generation_job_id"])
    assert job["status"] == "completed", job
    report_id: str = started["id"]
    return report_id


@pytest.mark.parametrize("cost", ["inf", "1e400", "nan"])
async def test_import_non_finite_cost_is_client_error(
    client: httpx.AsyncClient, auth: Auth, cost: str
) -> None:
    before = await project_count(client, auth)

    response = await import_file(client, auth, "cost.xer", xer_file(cost=cost))

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert await project_count(client, auth) == before


async def test_import_duplicate_task_ids_is_client_error(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    before = await project_count(client, auth)

    response = await import_file(client, auth, "dup.xer", xer_file(task_ids=("1", "1")))

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert await project_count(client, auth) == before


async def test_generate_month_with_newline_rejected(client: httpx.AsyncClient, auth: Auth) -> None:
    imported = await import_file(client, auth, "sample.json", sample_project_bytes())
    body = {"project_id": imported.json()["project_id"], "report_month": "2024-01\n"}

    response = await client.post(
        "/api/reports/pmr/generate", json=body, headers=auth(Role.PROJECT_MANAGER)
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_unknown_section_detail_is_one_sentence(
    client: httpx.AsyncClient, auth: Auth, completed_report: str
) -> None:
    response = await client.put(
        f"/api/reports/pmr/{completed_report}/sections/no_such_section",
        json={"content": {"body": "text"}},
        headers=auth(Role.EDITOR),
    )

    detail = response.json()["detail"]
    assert response.status_code == 404
    assert detail.startswith("section 'no_such_section' not found")
    assert "ray::" not in detail
    assert "Traceback" not in detail


async def test_section_metrics_nan_rejected(
    client: httpx.AsyncClient, auth: Auth, completed_report: str
) -> None:
    response = await client.put(
        f"/api/reports/pmr/{completed_report}/sections/budget_analysis",
        content=b'{"content": {"metrics": {"ratio": NaN}}}',
        headers={**auth(Role.EDITOR), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_generation_without_costs_completes(client: httpx.AsyncClient, auth: Auth) -> None:
    started = await start_generation(client, auth, "free.json", tiny_project(cost=0))

    job = await finished_job(client, auth, started["generation_job_id"])

    assert job["status"] == "completed", job["error"]
