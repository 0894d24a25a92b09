"""The API deployed on Ray Serve, reached over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import ray

from actors import report_actor_handle
from config import Settings
from deployments import server
from deployments.auth import Role, token_service
from schedules import sample_project_bytes

JOB_DEADLINE_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(session_settings: Settings, ray_cluster: None) -> Iterator[tuple[str, Settings]]:
    settings = session_settings.model_copy(update={"port": free_port()})
    url = server.start(settings)
    yield url, settings
    node_id = ray.get_runtime_context().get_node_id()
    server.stop()
    leftovers = [folder for folder in server.haproxy_folders(node_id) if folder.exists()]
    assert not leftovers, f"HAProxy files outlived the server: {leftovers}"


@pytest.fixture(scope="module")
def http(served: tuple[str, Settings]) -> Iterator[httpx.Client]:
    url, settings = served
    token = token_service(settings).issue("pm@example.com", Role.PROJECT_MANAGER)
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


def generate_sample(http: httpx.Client) -> dict[str, Any]:
    imported = http.post(
        "/api/projects/import", files={"file": ("s.json", sample_project_bytes())}
    )
    assert imported.status_code == 201, imported.text
    started = http.post(
        "/api/reports/pmr/generate",
        json={"project_id": imported.json()["project_id"], "report_month": "2025-07"},
    ).json()
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{started['generation_job_id']}").json()
        if job["status"] != "running" and job["status"] != "queued":
            break
        time.sleep(0.2)
    assert job["status"] == "completed", job
    report: dict[str, Any] = http.get(f"/api/reports/pmr/{started['id']}").json()
    return report


def test_serve_answers_openapi(http: httpx.Client) -> None:
    response = http.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Enhanced PMR"


def test_serve_rejects_missing_token(served: tuple[str, Settings]) -> None:
    url, _ = served

    response = httpx.get(f"{url}/api/reports/pmr/templates")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_report_survives_kill_of_its_actor_behind_serve(
    http: httpx.Client, served: tuple[str, Settings]
) -> None:
    _, settings = served
    report = generate_sample(http)
    actor = report_actor_handle(uuid.UUID(report["id"]), settings)
    pid = ray.get(actor.process_id.remote())

    os.kill(pid, signal.SIGKILL)
    again = http.get(f"/api/reports/pmr/{report['id']}")

    assert again.status_code == 200
    assert again.json()["sections"] == report["sections"]
    assert again.json()["ai_insights"] == report["ai_insights"]
    assert again.json()["monte_carlo_analysis"] == report["monte_carlo_analysis"]
