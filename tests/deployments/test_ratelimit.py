"""Rate limits per user and per client address, counted in this process and in Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from config import Settings
from deployments.app import create_app
from deployments.auth import Role
from deployments.ratelimit import client_address
from deployments.services import Services
from tests.storage.redis_server import flushed_redis_url

LIMITS = {
    "rate_limit_user_requests": 3,
    "rate_limit_ip_requests": 100,
    "rate_limit_user_websockets": 100,
    "rate_limit_ip_websockets": 1,
}


def services_counting(
    counter: str, api_settings: Settings, limits: dict[str, Any]
) -> Iterator[Services]:
    """Yield services with ``limits``, counted in this process or in a flushed Redis."""
    update = dict(limits)
    if counter == "redis":
        urls = flushed_redis_url()
        update["redis_url"] = next(urls)
    services = Services.create(api_settings.model_copy(update=update))
    yield services
    services.close()
    if counter == "redis":
        next(urls, None)


@pytest.fixture(params=["local", "redis"])
def limited(request: pytest.FixtureRequest, api_settings: Settings) -> Iterator[Services]:
    """Services with small limits, counted in this process or in the shared Redis."""
    yield from services_counting(request.param, api_settings, LIMITS)


def bearer(services: Services, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {services.tokens.issue(email, Role.VIEWER)}"}


async def get_templates(services: Services, headers: dict[str, str]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        return [await client.get("/api/reports/pmr/templates", headers=headers) for _ in range(4)]


async def test_user_over_request_limit_gets_429(limited: Services) -> None:
    user = f"{uuid.uuid4().hex[:8]}@example.com"

    responses = await get_templates(limited, bearer(limited, user))

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    refused = responses[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "rate_limited"
    assert user in refused.json()["detail"]


async def test_request_limit_counts_each_user_apart(limited: Services) -> None:
    first = await get_templates(limited, bearer(limited, f"{uuid.uuid4().hex[:8]}@example.com"))
    second = await get_templates(limited, bearer(limited, f"{uuid.uuid4().hex[:8]}@example.com"))

    assert first[2].status_code == 200
    assert second[2].status_code == 200


def test_websocket_upgrade_over_limit_gets_429(limited: Services) -> None:
    # The limit counts the test client's address, which a fresh Redis database and a fresh
    # process-local counter have not seen.
    path = f"/ws/reports/pmr/{uuid.uuid4()}/collaborate"

    with TestClient(create_app(limited)) as client:
        with pytest.raises(WebSocketDisconnect) as first, client.websocket_connect(path) as socket:
            socket.receive_text()
        with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect(path):
            pass

    # The first upgrade passes the limit and fails later, for want of a token.
    assert getattr(first.value, "status_code", None) != 429
    assert denied.value.status_code == 429
    assert int(denied.value.headers["retry-after"]) >= 1
    assert denied.value.json()["code"] == "rate_limited"


async def test_limits_switched_off(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={**LIMITS, "rate_limits_enabled": False})
    services = Services.create(settings)

    responses = await get_templates(services, bearer(services, "busy@example.com"))
    services.close()

    assert [r.status_code for r in responses] == [200, 200, 200, 200]


def scope_with(peer: str, *forwarded: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 40000), "headers": headers}


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        pytest.param(0, ("198.51.100.7",), "10.0.0.2", id="no-hops-counts-peer"),
        pytest.param(1, ("198.51.100.7",), "198.51.100.7", id="one-balancer"),
        pytest.param(1, ("6.6.6.6, 198.51.100.7",), "198.51.100.7", id="client-spoof-ignored"),
        pytest.param(2, ("198.51.100.7, 10.0.0.9",), "198.51.100.7", id="two-proxies"),
        pytest.param(2, ("198.51.100.7", "10.0.0.9"), "198.51.100.7", id="headers-joined"),
        pytest.param(2, ("198.51.100.7",), "10.0.0.2", id="too-few-entries"),
        pytest.param(1, (), "10.0.0.2", id="no-header"),
    ],
)
def test_client_address_from_forwarded_for(
    hops: int, forwarded: tuple[str, ...], expected: str
) -> None:
    assert client_address(scope_with("10.0.0.2", *forwarded), hops) == expected


@pytest.fixture(params=["local", "redis"])
def address_limited(request: pytest.FixtureRequest, api_settings: Settings) -> Iterator[Services]:
    """Services that allow three API requests per client address behind one balancer."""
    limits = {
        **LIMITS,
        "rate_limit_user_requests": 0,
        "rate_limit_ip_requests": 3,
        "forwarded_hops": 1,
    }
    yield from services_counting(request.param, api_settings, limits)


async def test_address_over_request_limit_gets_429(address_limited: Services) -> None:
    busy = f"198.51.100.{uuid.uuid4().int % 200 + 1}"
    quiet = "203.0.113.5" if busy != "203.0.113.5" else "203.0.113.6"
    users = [bearer(address_limited, f"{uuid.uuid4().hex[:8]}@example.com") for _ in range(2)]

    busy_responses = await get_templates(address_limited, {**users[0], "X-Forwarded-For": busy})
    quiet_responses = await get_templates(address_limited, {**users[1], "X-Forwarded-For": quiet})

    assert [r.status_code for r in busy_responses] == [200, 200, 200, 429]
    refused = busy_responses[-1]
    assert refused.json()["code"] == "rate_limited"
    assert f"client address {busy}" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    assert [r.status_code for r in quiet_responses] == [200, 200, 200, 429]
