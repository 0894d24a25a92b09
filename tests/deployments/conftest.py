from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from config import Settings
from deployments.app import create_app
from deployments.auth import Role, TokenService
from deployments.services import Services


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
