"""The request guard's body limits, on a bare ASGI app that reads the body, without Ray."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from deployments.auth import Role, TokenService
from deployments.guard import JSON_BODY_LIMIT, Receive, RequestGuard, Scope, Send

UPLOAD_LIMIT = 12 * 1024 * 1024
TOKENS = TokenService("s" * 40, timedelta(hours=1))
AUTH = {"Authorization": f"Bearer {TOKENS.issue('ed@example.com', Role.EDITOR)}"}
DOCUMENTS = "/api/projects/9b2f6a0e-3f7c-4f55-9a59-3c3c1f8f1f11/documents"


async def _read_body(scope: Scope, receive: Receive, send: Send) -> None:
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    guard = RequestGuard(_read_body, TOKENS, UPLOAD_LIMIT)
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        yield client


@pytest.mark.parametrize("path", ["/api/projects/import", DOCUMENTS], ids=["import", "document"])
async def test_upload_over_json_limit_is_read(client: httpx.AsyncClient, path: str) -> None:
    body = b"x" * (JSON_BODY_LIMIT + 1)

    response = await client.post(path, headers=AUTH, content=body)

    assert response.status_code == 200
    assert response.text == str(len(body))


@pytest.mark.parametrize("path", ["/api/projects/import", DOCUMENTS], ids=["import", "document"])
async def test_upload_over_upload_limit_gets_413(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, headers=AUTH, content=b"x" * (UPLOAD_LIMIT + 2**21))

    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "file_too_large"
    assert "PMR_MAX_UPLOAD_BYTES" in problem["detail"]


async def test_json_body_over_limit_names_no_setting(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/api/reports/pmr/r/sections/s", headers=AUTH, content=b"x" * (JSON_BODY_LIMIT + 1)
    )

    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "request_too_large"
    assert "PMR_MAX_UPLOAD_BYTES" not in problem["detail"]
    assert f"{JSON_BODY_LIMIT:,} bytes" in problem["detail"]
