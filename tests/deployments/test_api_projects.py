from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from deployments.auth import Role
from deployments.services import Services
from schedules import sample_project_bytes

Auth = Callable[[Role], dict[str, str]]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>"""


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes
) -> httpx.Response:
    return await client.post("/api/projects/import", files={"file": (name, data)}, headers=headers)


async def test_import_real_xer_matches_file(
    client: httpx.AsyncClient, auth: Auth, shared_data: Path
) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()

    response = await upload(client, auth(Role.PROJECT_MANAGER), "sp10.xer", data)

    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"] == f"/api/projects/{body['project_id']}"
    assert body["activities"] == 3994
    assert body["relationships"] == 5966
    assert body["currency"] == "GBP"
    assert body["data_date"] == "2017-09-16"
    assert body["budget_at_completion"] == pytest.approx(215_918_496.4101, abs=0.005)
    assert body["actual_cost"] == pytest.approx(16_001_858.5962, abs=0.005)
    codes = {warning["code"] for warning in body["warnings"]}
    assert "date_out_of_range" in codes


async def test_get_project_returns_summary(client: httpx.AsyncClient, auth: Auth) -> None:
    created = await upload(client, auth(Role.ADMIN), "sample.json", sample_project_bytes())
    project_id = created.json()["project_id"]

    response = await client.get(f"/api/projects/{project_id}", headers=auth(Role.VIEWER))

    assert response.status_code == 200
    assert response.json() == created.json()


async def test_unknown_project_is_404_problem(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get(
        "/api/projects/00000000-0000-0000-0000-000000000000", headers=auth(Role.VIEWER)
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        pytest.param("empty.xer", b"", 422, "empty_file", id="empty"),
        pytest.param(
            "cut.xer",
            b"ERMHDR\t8.1\t2017-09-27\tProject\n%T\tPROJECT\n%F\tproj_id\tproj_short_name\n%R\t1",
            422,
            "truncated",
            id="truncated-xer",
        ),
        pytest.param(
            "logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), 415, "unsupported_format", id="png"
        ),
        pytest.param("noise.bin", bytes(range(256)) * 8, 415, "unsupported_format", id="garbage"),
        pytest.param("bomb.xml", BILLION_LAUGHS, 422, "xml_entities_forbidden", id="entity-bomb"),
        pytest.param("broken.json", b'{"name": "x", ', 422, "invalid_json", id="invalid-json"),
        pytest.param(
            "big.xer",
            b"ERMHDR\t" + b"x" * (9 * 1024 * 1024),
            413,
            "file_too_large",
            id="too-large",
        ),
    ],
)
async def test_bad_file_is_problem_and_stores_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    services: Services,
    name: str,
    data: bytes,
    status: int,
    code: str,
) -> None:
    before = len(services.projects.list())

    response = await upload(client, auth(Role.PROJECT_MANAGER), name, data)

    problem = response.json()
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["detail"]
    assert len(services.projects.list()) == before


async def test_import_without_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/projects/import", files={"file": ("a.json", b"{}")})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "missing_token"


async def test_import_with_forged_token_is_401(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}

    response = await client.post(
        "/api/projects/import", files={"file": ("a.json", b"{}")}, headers=headers
    )

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_import_as_viewer_is_403(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await upload(client, auth(Role.VIEWER), "sample.json", sample_project_bytes())

    assert response.status_code == 403
    assert response.json()["code"] == "role_too_weak"


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        pytest.param("application/json", "'application/json'", id="json"),
        pytest.param("application/octet-stream", "'application/octet-stream'", id="binary"),
    ],
)
async def test_import_without_multipart_names_form_field(
    client: httpx.AsyncClient, auth: Auth, content_type: str, named: str
) -> None:
    headers = {**auth(Role.PROJECT_MANAGER), "content-type": content_type}

    response = await client.post(
        "/api/projects/import", content=sample_project_bytes(), headers=headers
    )

    problem = response.json()
    assert response.status_code == 422
    assert problem["errors"][0]["field"] == "body.file"
    assert "multipart/form-data" in problem["detail"]
    assert "-F file=@PATH" in problem["detail"]
    assert named in problem["detail"]


async def test_openapi_lists_the_endpoints(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    paths = response.json()["paths"]
    assert "/api/projects/import" in paths
    assert "/api/reports/pmr/generate" in paths
    assert "/api/reports/pmr/{report_id}/sections/{section_id}" in paths
    assert "/api/jobs/{job_id}" in paths


async def test_unknown_route_points_to_openapi(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get("/api/report/pmr/abc", headers=auth(Role.VIEWER))

    problem = response.json()
    assert response.status_code == 404
    assert "/api/report/pmr/abc" in problem["detail"]
    assert "/openapi.json" in problem["detail"]


async def test_plain_request_on_socket_path_is_426(client: httpx.AsyncClient) -> None:
    response = await client.get("/ws/reports/pmr/abc/collaborate")

    problem = response.json()
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert problem["code"] == "websocket_required"
    assert "WebSocket client" in problem["detail"]
