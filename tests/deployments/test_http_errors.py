"""Errors that the router raises before any route runs, as problem documents."""

from __future__ import annotations

import httpx


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
