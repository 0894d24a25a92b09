"""The collaboration page: served by Serve, bundled from its sources, co-edited in Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from deployments.auth import Role
from tests.collaboration.conftest import INTEROP, require_node

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

STATIC = Path(__file__).resolve().parents[2] / "deployments" / "web" / "static"
CHROMIUM = os.environ.get("PMR_CHROMIUM", "/usr/bin/chromium")
BROWSER_SECONDS = 120


@pytest.fixture(scope="module")
def report(served: Server) -> dict[str, Any]:
    return served.new_report()


def test_page_bundle_matches_its_sources(tmp_path: Path) -> None:
    node = require_node()

    subprocess.run(
        [node, str(INTEROP / "build-page.mjs"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    for name in ("editor.js", "THIRD-PARTY-NOTICES.txt"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"deployments/web/static/{name} is stale: run `make page` and commit it"
        )


def test_page_is_served_with_its_files(served: Server, report: dict[str, Any]) -> None:
    page = httpx.get(f"{served.url}/app/reports/{report['id']}")
    script = httpx.get(f"{served.url}/app/static/editor.js")
    unknown = httpx.get(f"{served.url}/app/static/page.py")
    not_an_id = httpx.get(f"{served.url}/app/reports/not-a-report")

    assert page.status_code == 200
    assert f'data-report-id="{report["id"]}"' in page.text
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert unknown.status_code == 404
    assert not_an_id.status_code == 422


def test_page_edit_reaches_second_browser(served: Server, report: dict[str, Any]) -> None:
    node = require_node()
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    section_id = report["sections"][0]["section_id"]
    pages = [
        f"{served.url}/app/reports/{report['id']}?token={served.token(email)}"
        for email in ("ann@example.com", "bob@example.com")
    ]
    typed = " Typed by Ann in her browser."
    config = {"pages": pages, "section": section_id, "text": typed, "screenshot": None}
    if os.environ.get("PMR_PAGE_SCREENSHOT"):
        config["screenshot"] = os.environ["PMR_PAGE_SCREENSHOT"]

    finished = subprocess.run(
        [node, str(INTEROP / "page-check.mjs"), json.dumps(config)],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    stored = served.pm.get(f"/api/reports/pmr/{report['id']}").json()

    assert seen["errors"] == []
    assert seen["readerText"] == seen["writerText"]
    assert seen["readerText"].endswith(typed)
    assert seen["caretNames"] == ["ann@example.com"]
    assert seen["caretInsideText"] is True
    assert sorted(seen["people"]) == ["ann@example.com", "bob@example.com"]
    assert seen["title"] == report["title"]
    assert "–" not in seen["metrics"]
    assert "token=" not in seen["readerUrl"]
    assert stored["sections"][0]["content"]["body"] == seen["readerText"]


def test_page_shows_permission_and_refusals(served: Server, report: dict[str, Any]) -> None:
    node = require_node()
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    page = f"{served.url}/app/reports/{report['id']}"
    unknown = f"{served.url}/app/reports/00000000-0000-0000-0000-000000000000"
    config = {
        "pages": [
            f"{page}?token={served.token('ann@example.com', Role.EDITOR)}",
            f"{page}?token={served.token('vic@example.com', Role.VIEWER)}",
            f"{page}?token=not-a-token",
            f"{unknown}?token={served.token('ann@example.com', Role.EDITOR)}",
            page,
        ]
    }

    finished = subprocess.run(
        [node, str(INTEROP / "page-states.mjs"), json.dumps(config)],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    editor, viewer, bad_token, unknown_report, no_token = json.loads(
        finished.stdout.strip().splitlines()[-1]
    )["pages"]

    assert editor["status"] == "synced"
    assert editor["notice"] is None
    assert editor["readOnly"]
    assert not any(editor["readOnly"])
    assert viewer["status"] == "synced"
    assert "read-only" in viewer["notice"]
    assert viewer["readOnly"]
    assert all(viewer["readOnly"])
    assert bad_token["status"] == "refused"
    assert bad_token["title"] == "Cannot open this report"
    assert "token" in bad_token["subtitle"]
    assert unknown_report["status"] == "refused"
    assert "not found" in unknown_report["subtitle"]
    assert no_token["status"] == "refused"
    assert no_token["title"] == "Sign-in token missing"
    assert "?token=" in no_token["subtitle"]
    for seen in (editor, viewer, bad_token, unknown_report, no_token):
        assert seen["errors"] == []
