"""How ``pmr demo`` treats the ids it kept in ``demo.json`` from an earlier run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from cli.demo import sample_report
from schedules.samples import sample_project_bytes

PROJECT_ID = "11111111-1111-4111-8111-111111111111"
REPORT_ID = "22222222-2222-4222-8222-222222222222"
JOB_ID = "33333333-3333-4333-8333-333333333333"


def fake_server(requests: list[str]) -> httpx.Client:
    """Return a client whose server imports the sample and generates its report at once."""
    project = {"project_id": PROJECT_ID, "name": "Sample", "data_date": "2025-07-31"}
    report = {"id": REPORT_ID, "project_id": PROJECT_ID, "status": "completed"}

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.method} {request.url.path}")
        routes = {
            "POST /api/projects/import": project,
            "POST /api/reports/pmr/generate": {"id": REPORT_ID, "generation_job_id": JOB_ID},
            f"GET /api/jobs/{JOB_ID}": {"status": "completed", "error": None},
            f"GET /api/reports/pmr/{REPORT_ID}": report,
        }
        body = routes.get(f"{request.method} {request.url.path}")
        if body is None:
            return httpx.Response(404, json={"code": "not_found"})
        return httpx.Response(200, json=body)

    return httpx.Client(base_url="http://pmr.test", transport=httpx.MockTransport(handle))


def test_garbage_state_file_is_named_and_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "demo.json"
    state_file.write_text("garbage{not json", encoding="utf-8")
    requests: list[str] = []

    with fake_server(requests) as client:
        project, report = sample_report(client, state_file)

    output = capsys.readouterr().out
    assert f"Ignoring {state_file}" in output
    assert "importing the sample again" in output
    assert "POST /api/projects/import" in requests
    assert project["project_id"] == PROJECT_ID
    assert report["id"] == REPORT_ID
    assert json.loads(state_file.read_text(encoding="utf-8"))["report_id"] == REPORT_ID


def test_changed_sample_is_named_and_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "demo.json"
    old_digest = hashlib.sha256(b"an older sample").hexdigest()
    assert old_digest != hashlib.sha256(sample_project_bytes()).hexdigest()
    state = {"sample_sha256": old_digest, "project_id": PROJECT_ID, "report_id": REPORT_ID}
    state_file.write_text(json.dumps(state), encoding="utf-8")
    requests: list[str] = []

    with fake_server(requests) as client:
        sample_report(client, state_file)

    output = capsys.readouterr().out
    assert "bundled sample changed" in output
    assert "importing the sample again" in output
    assert "POST /api/projects/import" in requests
