"""Upload file names with control characters are refused before anything is stored."""

from __future__ import annotations

import httpx

from schedules import sample_project_bytes

MEMO = b"The crane arrives in May."


def multipart(file_name: bytes, content: bytes, content_type: bytes) -> tuple[bytes, str]:
    """Build a multipart body by hand, because clients will not put NUL into a header."""
    body = (
        b'--pmr-part\r\nContent-Disposition: form-data; name="file"; filename="'
        + file_name
        + b'"\r\nContent-Type: '
        + content_type
        + b"\r\n\r\n"
        + content
        + b"\r\n--pmr-part--\r\n"
    )
    return body, "multipart/form-data; boundary=pmr-part"


async def upload(client: httpx.AsyncClient, path: str, body: tuple[bytes, str]) -> httpx.Response:
    return await client.post(path, content=body[0], headers={"Content-Type": body[1]})


async def test_schedule_name_with_nul_is_refused(local_client: httpx.AsyncClient) -> None:
    body = multipart(b"sample\x00.json", sample_project_bytes(), b"application/json")

    response = await upload(local_client, "/api/projects/import", body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_file_name"
    assert "U+0000" in response.json()["detail"]
    listed = await local_client.get("/api/projects")
    assert listed.json() == []


async def test_document_and_logo_names_with_controls_are_refused(
    local_client: httpx.AsyncClient,
) -> None:
    imported = await upload(
        local_client,
        "/api/projects/import",
        multipart(b"sample.json", sample_project_bytes(), b"application/json"),
    )
    project_id = imported.json()["project_id"]
    documents = f"/api/projects/{project_id}/documents"

    memo = await upload(local_client, documents, multipart(b"memo\x1b.txt", MEMO, b"text/plain"))
    logo = await upload(
        local_client, "/api/branding/logos", multipart(b"logo\x00.png", b"\x89PNG", b"image/png")
    )

    assert imported.status_code == 201
    assert (memo.status_code, memo.json()["code"]) == (422, "invalid_file_name")
    assert "U+001B" in memo.json()["detail"]
    assert (logo.status_code, logo.json()["code"]) == (422, "invalid_file_name")
    assert (await local_client.get(documents)).json() == []
