"""Redis killed while a report generates: it carries cache entries and progress only.

The server's Redis is a private redis-server; the test kills it once the generation job
runs, then checks that the job completes, that REST and collaboration keep working, and
that readiness names Redis as failed until the server is back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from schedules import sample_project_bytes
from tests.collaboration.conftest import GENERATION_DEADLINE_SECONDS

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server
    from tests.storage.redis_server import PrivateRedis

WAIT_SECONDS = 60.0


def poll_job(server: Server, job_id: str, done: set[str], timeout: float) -> dict[str, Any]:
    """Poll the job until its status is in ``done``; return its last state."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = server.pm.get(f"/api/jobs/{job_id}").json()
    while job["status"] not in done and time.monotonic() < deadline:
        # NOTE: the jobs API has no wait; this polls it at a fixed pace under a deadline.
        time.sleep(0.05)
        job = server.pm.get(f"/api/jobs/{job_id}").json()
    return job


def readiness(server: Server) -> httpx.Response:
    return httpx.get(f"{server.url}/readyz", timeout=30)


def wait_ready(server: Server, timeout: float = WAIT_SECONDS) -> httpx.Response:
    deadline = time.monotonic() + timeout
    response = readiness(server)
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        response = readiness(server)
    return response


def test_redis_kill_mid_generation_completes(server: Server, fault_redis: PrivateRedis) -> None:
    imported = server.pm.post(
        "/api/projects/import", files={"file": ("sample.json", sample_project_bytes())}
    )
    project = imported.json()
    started = server.pm.post(
        "/api/reports/pmr/generate",
        json={"project_id": project["project_id"], "report_month": project["data_date"][:7]},
    )
    job_id = started.json()["generation_job_id"]
    report_id = started.json()["id"]

    at_kill = poll_job(
        server, job_id, {"running", "completed", "failed"}, GENERATION_DEADLINE_SECONDS
    )
    fault_redis.kill()
    finished = poll_job(server, job_id, {"completed", "failed"}, GENERATION_DEADLINE_SECONDS)
    report = server.pm.get(f"/api/reports/pmr/{report_id}")
    listing = server.pm.get("/api/projects")
    while_down = readiness(server)
    ann = server.yjs(report_id, "ann@example.com")
    bob = server.yjs(report_id, "bob@example.com")
    ann.wait_synced(WAIT_SECONDS)
    bob.wait_synced(WAIT_SECONDS)
    section_id = report.json()["sections"][0]["section_id"]
    ann.insert(section_id, 0, "written while Redis is down ", label="down")
    ann.wait_echo("down")
    bob.wait_text(section_id, lambda text: text.startswith("written while Redis is down "))
    after_edit = server.pm.get(f"/api/reports/pmr/{report_id}")
    fault_redis.start()
    recovered = wait_ready(server)

    assert imported.status_code == 201, imported.text
    assert started.status_code == 202, started.text
    assert at_kill["status"] == "running", at_kill
    assert finished["status"] == "completed", finished
    assert report.status_code == 200, report.text
    assert report.json()["monte_carlo_analysis"]
    assert listing.status_code == 200, listing.text
    assert project["project_id"] in [item["project_id"] for item in listing.json()]
    assert while_down.status_code == 503
    assert while_down.json()["checks"]["redis"]["ok"] is False
    assert while_down.json()["checks"]["redis"]["error"]
    assert while_down.json()["checks"]["database"]["ok"] is True
    assert after_edit.status_code == 200
    assert after_edit.json()["sections"][0]["content"]["body"] == ann.text(section_id)
    assert recovered.status_code == 200, recovered.text
