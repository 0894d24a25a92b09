"""The API with Redis: report cache, job progress, and serving through a Redis outage."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis

from config import Settings
from deployments.app import create_app
from deployments.auth import Role
from deployments.services import Services
from schedules import sample_project_bytes
from storage.cache import body_key, revision_key
from storage.job_progress import latest_key
from tests.deployments.test_api_reports import generate, import_project, wait_for_job
from tests.storage.redis_server import PrivateRedis, flushed_redis_url, private_redis

Auth = Callable[[Role], dict[str, str]]

RECOVERY_DEADLINE_SECONDS = 60.0


@pytest.fixture
def redis_url() -> Iterator[str]:
    yield from flushed_redis_url()


@pytest.fixture
def private() -> Iterator[PrivateRedis]:
    yield from private_redis()


@asynccontextmanager
async def api_on(
    settings: Settings, url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """Yield a client of an API whose services use the Redis at ``url``."""
    services = Services.create(settings.model_copy(update={"redis_url": url}))
    transport = httpx.ASGITransport(app=create_app(services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
            yield client, services
    finally:
        services.close()


def published_revision(direct: redis.Redis, report_id: uuid.UUID) -> str:
    value = direct.get(revision_key(report_id))
    assert isinstance(value, bytes), f"no revision of report {report_id} in Redis"
    return value.decode()


async def new_report(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    project_id = await import_project(client, auth, "sample.json", sample_project_bytes())
    return await generate(client, auth, project_id, "2025-07")


async def test_report_cache_hits_and_invalidates(
    api_settings: Settings, ray_cluster: None, auth: Auth, redis_url: str
) -> None:
    direct = redis.Redis.from_url(redis_url, decode_responses=False)
    async with api_on(api_settings, redis_url) as (client, _):
        report = await new_report(client, auth)
        report_id = uuid.UUID(report["id"])
        revision = published_revision(direct, report_id)
        cached = direct.get(body_key(report_id, revision))
        # A body placed under the published revision is what the next read returns.
        marked = json.loads(cached or b"{}")
        marked["title"] = "served from the cache"
        direct.set(body_key(report_id, revision), json.dumps(marked))

        hit = await client.get(f"/api/reports/pmr/{report_id}", headers=auth(Role.VIEWER))
        updated = await client.put(
            f"/api/reports/pmr/{report_id}/sections/executive_summary",
            json={"content": {"body": "After the cache."}, "merge_strategy": "replace"},
            headers=auth(Role.EDITOR),
        )
        fresh = await client.get(f"/api/reports/pmr/{report_id}", headers=auth(Role.VIEWER))
    new_revision = published_revision(direct, report_id)
    direct.close()

    assert cached is not None
    assert hit.json()["title"] == "served from the cache"
    assert updated.status_code == 200, updated.text
    assert new_revision != revision
    assert fresh.json()["title"] != "served from the cache"
    assert fresh.json()["version"] == 2
    assert fresh.json()["sections"][0]["content"]["body"] == "After the cache."


async def test_job_progress_reaches_redis(
    api_settings: Settings, ray_cluster: None, auth: Auth, redis_url: str
) -> None:
    direct = redis.Redis.from_url(redis_url)
    async with api_on(api_settings, redis_url) as (client, _):
        project_id = await import_project(client, auth, "sample.json", sample_project_bytes())
        started = await client.post(
            "/api/reports/pmr/generate",
            json={"project_id": project_id, "report_month": "2025-07"},
            headers=auth(Role.PROJECT_MANAGER),
        )
        job_id = started.json()["generation_job_id"]
        job = await wait_for_job(client, auth, job_id)
    latest = direct.get(latest_key(uuid.UUID(job_id)))
    direct.close()

    assert job["status"] == "completed", job
    assert latest is not None
    message = json.loads(latest)
    assert message["status"] == "completed"
    assert message["report_id"] == started.json()["id"]
    assert message["kind"] == "report_generation"


def records(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and text in record.getMessage()
    ]


async def test_api_serves_through_redis_outage(
    api_settings: Settings,
    ray_cluster: None,
    auth: Auth,
    private: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="storage.redis_link")
    async with api_on(api_settings, private.url) as (client, _):
        report = await new_report(client, auth)
        url = f"/api/reports/pmr/{report['id']}"

        private.kill()
        while_down = [await client.get(url, headers=auth(Role.VIEWER)) for _ in range(5)]
        listed = await client.get("/api/projects", headers=auth(Role.VIEWER))
        not_ready = await client.get("/readyz")
        warnings_while_down = records(caplog, logging.WARNING, "is unreachable")

        private.start()
        deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
        ready = await client.get("/readyz")
        while ready.status_code != 200 and time.monotonic() < deadline:
            ready = await client.get("/readyz")
        after = await client.get(url, headers=auth(Role.VIEWER))

    assert all(response.status_code == 200 for response in while_down)
    assert while_down[0].json()["id"] == report["id"]
    assert listed.status_code == 200
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["redis"]["ok"] is False
    assert not_ready.json()["checks"]["database"]["ok"] is True
    assert len(warnings_while_down) == 1
    assert ready.status_code == 200, ready.text
    assert after.status_code == 200
    assert after.json()["id"] == report["id"]
    assert len(records(caplog, logging.WARNING, "is unreachable")) == 1
    assert len(records(caplog, logging.INFO, "is reachable again")) == 1
