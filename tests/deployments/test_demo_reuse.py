"""``pmr demo`` against a running API: a restart reuses the sample project and report."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from cli.demo import sample_report
from deployments.app import create_app
from deployments.auth import Role
from deployments.services import Services


@pytest.fixture
def api(services: Services, auth: Callable[[Role], dict[str, str]]) -> Iterator[httpx.Client]:
    """An HTTP client of the API served by uvicorn on a loopback port, as the demo calls it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(services), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    headers = auth(Role.PROJECT_MANAGER)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


def project_count(api: httpx.Client) -> int:
    response = api.get("/api/projects")
    assert response.status_code == 200
    return len(response.json())


def test_second_run_reuses_project_and_report(api: httpx.Client, tmp_path: Path) -> None:
    state_file = tmp_path / "demo.json"
    project, report = sample_report(api, state_file)
    before = project_count(api)

    again_project, again_report = sample_report(api, state_file)

    assert report["status"] == "completed"
    assert again_project["project_id"] == project["project_id"]
    assert again_report["id"] == report["id"]
    assert project_count(api) == before
    state = json.loads(state_file.read_text())
    assert state["report_id"] == report["id"]


def test_state_naming_a_missing_report_imports_again(api: httpx.Client, tmp_path: Path) -> None:
    state_file = tmp_path / "demo.json"
    _, report = sample_report(api, state_file)
    state = json.loads(state_file.read_text())
    state["report_id"] = str(uuid.uuid4())
    state_file.write_text(json.dumps(state))

    _, fresh = sample_report(api, state_file)

    assert fresh["id"] != report["id"]
    assert fresh["status"] == "completed"
    assert json.loads(state_file.read_text())["report_id"] == fresh["id"]


def test_unreadable_state_is_named_and_replaced(
    api: httpx.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "demo.json"
    state_file.write_text("[1, 2")

    _, report = sample_report(api, state_file)

    output = capsys.readouterr().out
    assert f"Ignoring {state_file}" in output
    assert "importing the sample again" in output
    assert json.loads(state_file.read_text())["report_id"] == report["id"]


def test_changed_sample_is_named_and_imported_again(
    api: httpx.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "demo.json"
    _, report = sample_report(api, state_file)
    state = json.loads(state_file.read_text())
    state["sample_sha256"] = hashlib.sha256(b"an earlier sample").hexdigest()
    state_file.write_text(json.dumps(state))
    capsys.readouterr()

    _, fresh = sample_report(api, state_file)

    assert "bundled sample changed" in capsys.readouterr().out
    assert fresh["id"] != report["id"]
    assert json.loads(state_file.read_text())["sample_sha256"] != state["sample_sha256"]
