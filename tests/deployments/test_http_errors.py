"""Errors that the router raises before any route runs, as problem documents."""

from __future__ import annotations

import httpx
import pytest


async def test_wrong_method_names_allowed_methods(local_client: httpx.AsyncClient) -> None:
    response = await local_client.delete("/api/projects")

    body = response.json()
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
    assert body["code"] == "http_405"
    assert body["detail"] == "DELETE is not allowed at /api/projects; it takes GET"


async def test_unknown_path_points_to_openapi(local_client: httpx.AsyncClient) -> None:
    response = await local_client.get("/api/no-such-thing")

    body = response.json()
    assert response.status_code == 404
    assert "allow" not in response.headers
    assert body["detail"] == (
        "no endpoint at /api/no-such-thing; /openapi.json lists the API's paths"
    )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("", "missing bearer token"),
        ("Bearer ", "names the Bearer scheme but no token"),
        ("eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "does not start with 'Bearer '"),
        ("Basic cG06c2VjcmV0", "does not start with 'Bearer '"),
    ],
    ids=["empty", "scheme without token", "token without scheme", "basic"],
)
async def test_header_without_bearer_token_is_named(
    local_client: httpx.AsyncClient, header: str, detail: str
) -> None:
    response = await local_client.get("/api/projects", headers={"Authorization": header})

    body = response.json()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["code"] == "missing_token"
    assert detail in body["detail"]
    assert "eyJ" not in body["detail"]
