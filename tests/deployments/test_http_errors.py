"""Errors that the router raises before any route runs, as problem documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from config import Settings
from deployments.app import create_app
from deployments.auth import Role
from deployments.services import Services


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app in this process; routing errors reach no actor or database."""
    services = Services.create(Settings(data_dir=tmp_path, jwt_secret="routing-" + "x" * 40))
    token = services.tokens.issue("pm@example.com", Role.PROJECT_MANAGER)
    transport = httpx.ASGITransport(app=create_app(services))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://pmr.test", headers=headers
        ) as client:
            yield client
    finally:
        services.close()


async def test_wrong_method_names_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/projects")

    body = response.json()
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
    assert body["code"] == "http_405"
    assert body["detail"] == "DELETE is not allowed at /api/projects; it takes GET"


async def test_unknown_path_points_to_openapi(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/no-such-thing")

    body = response.json()
    assert response.status_code == 404
    assert "allow" not in response.headers
    assert body["detail"] == (
        "no endpoint at /api/no-such-thing; /openapi.json lists the API's paths"
    )
