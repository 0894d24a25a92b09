"""Collaboration request bodies that validation rejects before any route reaches an actor."""

from __future__ import annotations

import uuid

import httpx
import pytest

REPORT = uuid.uuid4()

INVALID_SESSIONS: dict[str, tuple[bytes, str]] = {
    "conflicting case variants": (
        b'{"participants": ["ann@example.com"], '
        b'"permissions": {"ann@example.com": "edit", "Ann@Example.com": "view"}}',
        "both are ann@example.com",
    ),
    "lone surrogate in participant": (
        b'{"participants": ["\\ud800ann@example.com"]}',
        "U+D800",
    ),
    "NUL in participant": (b'{"participants": ["ann\\u0000@example.com"]}', "U+0000"),
    "lone surrogate in permissions": (
        b'{"participants": ["ann@example.com"], '
        b'"permissions": {"ann@example.com\\udc00": "edit"}}',
        "U+DC00",
    ),
}


@pytest.mark.parametrize(
    ("body", "message"), INVALID_SESSIONS.values(), ids=INVALID_SESSIONS.keys()
)
async def test_invalid_session_is_422(
    local_client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    response = await local_client.post(
        f"/api/reports/pmr/{REPORT}/collaborate",
        content=body,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert message in response.json()["detail"]


async def test_same_permission_in_two_spellings_passes_validation(
    local_client: httpx.AsyncClient,
) -> None:
    body = {
        "participants": ["ann@example.com"],
        "permissions": {"ann@example.com": "edit", "ANN@example.com": "edit"},
    }

    response = await local_client.post(f"/api/reports/pmr/{REPORT}/collaborate", json=body)

    # Validation passed, so the request reached the report lookup.
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
