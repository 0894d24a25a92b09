"""Liveness and readiness probes, with each dependency up and down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from config import Settings
from deployments.app import create_app
from deployments.services import Services
from tests.storage.redis_server import PrivateRedis, private_redis


@pytest.fixture
def private() -> Iterator[PrivateRedis]:
    yield from private_redis()


@asynccontextmanager
async def probe_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    services = Services.create(settings)
    transport = httpx.ASGITransport(app=create_app(services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
            yield client
    finally:
        services.close()


async def test_healthz_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_passes_with_database_and_ray(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert response.json()["checks"]["database"] == {"ok": True, "error": None}
    assert response.json()["checks"]["ray"] == {"ok": True, "error": None}


async def test_readyz_names_unreachable_database(
    api_settings: Settings, ray_cluster: None
) -> None:
    # The test PostgreSQL server runs, but this database does not exist on it.
    missing = "postgresql+psycopg://postgres@127.0.0.1:5432/pmr_no_such_database"
    settings = api_settings.model_copy(update={"database_url": missing})

    async with probe_client(settings) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    database = response.json()["checks"]["database"]
    assert database["ok"] is False
    assert "pmr_no_such_database" in database["error"]
    assert "PMR_DATABASE_URL" in database["error"]
    assert response.json()["checks"]["ray"]["ok"] is True


async def test_readyz_names_redis_while_it_is_down(
    api_settings: Settings, ray_cluster: None, private: PrivateRedis
) -> None:
    settings = api_settings.model_copy(update={"redis_url": private.url})

    async with probe_client(settings) as client:
        up = await client.get("/readyz")
        private.kill()
        down = await client.get("/readyz")

    assert up.status_code == 200, up.text
    assert up.json()["checks"]["redis"] == {"ok": True, "error": None}
    assert down.status_code == 503
    assert down.json()["checks"]["redis"]["ok"] is False
    assert down.json()["checks"]["redis"]["error"]
    assert down.json()["checks"]["database"]["ok"] is True
