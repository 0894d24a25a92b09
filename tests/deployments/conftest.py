from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from config import Settings
from deployments.app import create_app
from deployments.auth import Role, TokenService
from deployments.services import Services
from storage import Database


@pytest.fixture(scope="session")
def api_settings(session_settings: Settings) -> Settings:
    return session_settings.model_copy(update={"max_upload_bytes": 8 * 1024 * 1024})


@pytest.fixture(scope="session")
def services(api_settings: Settings, ray_cluster: None) -> Services:
    return Services.create(api_settings)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        yield client


@pytest.fixture(scope="session")
def auth(api_settings: Settings) -> Callable[[Role], dict[str, str]]:
    """Return the Authorization header of a user with the given role."""
    assert api_settings.jwt_secret is not None
    tokens = TokenService(api_settings.jwt_secret, timedelta(hours=1))

    def header(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.issue(f'{role.value}@example.com', role)}"}

    return header


@pytest.fixture
async def local_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A project manager's client of the app on a database of its own, without Ray.

    For requests that fail before any route reaches an actor: routing errors and rejected
    uploads.
    """
    settings = Settings(data_dir=tmp_path, jwt_secret="local-" + "x" * 40)
    Database(settings.sqlalchemy_url).migrate()
    services = Services.create(settings)
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
