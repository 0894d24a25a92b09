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
    "zero-width space in participant": (
        b'{"participants": ["ann\\u200b@example.com"]}',
        "U+200B",
    ),
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


@pytest.mark.parametrize("position", ['"3"', "true", "3.0"], ids=["text", "boolean", "float"])
async def test_comment_position_must_be_integer(
    local_client: httpx.AsyncClient, position: str
) -> None:
    body = f'{{"section_id": "risk", "content": "Check the crane.", "position": {position}}}'

    response = await local_client.post(
        f"/api/reports/pmr/{REPORT}/comments",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert "position" in response.json()["detail"]
