"""Exports over the API: jobs on the session Ray cluster, signed downloads, logos, templates.

Every produced file is opened with its own reader (pypdf, openpyxl, python-pptx) and its
figures are compared with the values ``GET /api/reports/pmr/{id}`` returns.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from actors.export_job import ExportPlan, export_path, run_export
from config import Settings
from deployments import server
from deployments.app import create_app
from deployments.auth import Role, token_service
from deployments.routes.exports import link_signer
from deployments.services import Services
from schedules import sample_project_bytes

JOB_DEADLINE_SECONDS = 300.0
LOGO_LIMIT = 16 * 1024
# Hosts on the logo allow-list of these tests: the address check must still reject them.
ALLOWED_PRIVATE_HOSTS = ("127.0.0.1", "10.0.0.1", "localhost")
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# The rendered pages replace the images in docs/images only when this is set to 1.
UPDATE_IMAGES = os.environ.get("PMR_DOC_IMAGES") == "1"
CRIMSON = "8B1E3F"
FOREST_GREEN = "1E5631"
SLATE = "334155"
# The crimson palette's second series colour, which draws the earned value line.
CRIMSON_EV_LINE = "1F618D"
CHART_CAPTIONS = (
    "Planned value, earned value and actual cost (cumulative)",
    "Cost performance (CPI) and earned schedule (SPI(t)) trend",
    "Probability of completing within a cost (S-curve)",
    "Probability of finishing by a date (S-curve)",
)
WATERMARK = re.compile(r"Exported by (?P<user>\S+) on (?P<moment>\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" onload="alert(1)">'
    b"<script>alert(2)</script>"
    b'<rect width="120" height="40" fill="#8B1E3F" onclick="alert(3)"/>'
    b'<a href="javascript:alert(4)"><circle cx="20" cy="20" r="10"/></a>'
    b"</svg>"
)


@dataclass(frozen=True, slots=True)
class Exported:
    """A finished export as a client sees it: the job, the file and the time window."""

    job: dict[str, Any]
    data: bytes
    export_id: str
    requested_after: datetime
    finished_before: datetime


# Fixtures


@pytest.fixture(scope="module")
def export_settings(api_settings: Settings) -> Settings:
    return api_settings.model_copy(
        update={
            "export_logo_hosts": ",".join(ALLOWED_PRIVATE_HOSTS),
            "export_logo_max_bytes": LOGO_LIMIT,
            "export_logo_timeout_seconds": 2.0,
        }
    )


@pytest.fixture(scope="module")
def export_services(export_settings: Settings, ray_cluster: None) -> Iterator[Services]:
    services = Services.create(export_settings)
    yield services
    services.close()


@pytest.fixture
async def client(export_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(export_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        yield client


def headers(services: Services, role: Role, email: str | None = None) -> dict[str, str]:
    """Return the Authorization header of ``email`` (by default ``<role>@example.com``)."""
    token = services.tokens.issue(email or f"{role.value}@example.com", role)
    return {"Authorization": f"Bearer {token}"}


async def wait_for_job(
    client: httpx.AsyncClient, services: Services, job_id: str
) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        response = await client.get(f"/api/jobs/{job_id}", headers=headers(services, Role.VIEWER))
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        # NOTE: the jobs API has no wait; this polls it under a deadline.
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish within {JOB_DEADLINE_SECONDS} s")


async def generated_report(
    client: httpx.AsyncClient, services: Services, name: str, data: bytes, month: str
) -> dict[str, Any]:
    pm = headers(services, Role.PROJECT_MANAGER)
    imported = await client.post("/api/projects/import", files={"file": (name, data)}, headers=pm)
    assert imported.status_code == 201, imported.text
    started = await client.post(
        "/api/reports/pmr/generate",
        json={"project_id": imported.json()["project_id"], "report_month": month},
        headers=pm,
    )
    assert started.status_code == 202, started.text
    job = await wait_for_job(client, services, started.json()["generation_job_id"])
    assert job["status"] == "completed", job
    report = await client.get(f"/api/reports/pmr/{started.json()['id']}", headers=pm)
    assert report.status_code == 200
    body: dict[str, Any] = report.json()
    return body


@pytest.fixture(scope="module")
async def sample_report(export_services: Services) -> dict[str, Any]:
    """One report of the bundled sample project, shared by the tests of this module."""
    transport = httpx.ASGITransport(app=create_app(export_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        return await generated_report(
            client, export_services, "sample.json", sample_project_bytes(), "2025-07"
        )


async def start_export(
    client: httpx.AsyncClient,
    services: Services,
    report_id: str,
    body: dict[str, Any],
    role: Role = Role.EDITOR,
) -> httpx.Response:
    return await client.post(
        f"/api/reports/pmr/{report_id}/export", json=body, headers=headers(services, role)
    )


async def export(
    client: httpx.AsyncClient, services: Services, report_id: str, body: dict[str, Any]
) -> Exported:
    """Export through the API, follow the job and download the file as a viewer."""
    requested_after = datetime.now(UTC).replace(second=0, microsecond=0)
    started = await start_export(client, services, report_id, body)
    assert started.status_code == 202, started.text
    job = await wait_for_job(client, services, started.json()["export_job_id"])
    assert job["status"] == "completed", job
    download = await client.get(job["download_url"], headers=headers(services, Role.VIEWER))
    assert download.status_code == 200, download.text
    return Exported(
        job=job,
        data=download.content,
        export_id=job["result"]["export_id"],
        requested_after=requested_after,
        finished_before=datetime.now(UTC),
    )


async def upload_logo(
    client: httpx.AsyncClient, services: Services, name: str, data: bytes, content_type: str
) -> httpx.Response:
    return await client.post(
        "/api/branding/logos",
        files={"file": (name, data, content_type)},
        headers=headers(services, Role.EDITOR),
    )


def png_logo(size: tuple[int, int] = (120, 40), colour: str = CRIMSON) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, f"#{colour}").save(output, format="PNG")
    return output.getvalue()


def jpeg_logo() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (64, 64), "#1F4E79").save(output, format="JPEG")
    return output.getvalue()


# What the files must say


def money(value: float) -> str:
    """Return an amount in pounds, the currency of both test schedules, as exports print it."""
    sign = "-" if round(value, 2) < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def expected_figures(report: dict[str, Any]) -> dict[str, str]:
    """Return the headline figures of a report as printed text, from its GET body."""
    metrics = report["earned_value"]["metrics"]
    key = report["key_metrics"]
    monte_carlo = report["monte_carlo_analysis"]
    figures = {
        "Budget at completion (BAC)": money(metrics["bac"]),
        "Planned value (PV)": money(metrics["pv"]),
        "Earned value (EV)": money(metrics["ev"]),
        "Actual cost (AC)": money(metrics["ac"]),
        "Cost variance (CV)": money(metrics["cv"]),
        "Schedule variance (SV)": money(metrics["sv"]),
        "Cost performance index (CPI)": f"{key['cost_performance']:.4f}",
        "Schedule performance index (SPI)": f"{key['schedule_performance']:.4f}",
        "Earned schedule SPI(t)": f"{report['earned_value']['earned_schedule']['spi_t']:.4f}",
        "Estimate at completion (EAC, CPI)": money(metrics["forecasts"]["cpi"]["eac"]),
        "Variance at completion (VAC, CPI)": money(metrics["forecasts"]["cpi"]["vac"]),
        "To-complete index (TCPI, BAC)": f"{metrics['tcpi_to_bac']:.4f}",
        "Budget utilisation (AC/BAC)": f"{key['budget_utilization'] * 100:.2f} %",
        "Risk score": f"{key['risk_score']:.4f}",
        "P50 cost at completion": money(monte_carlo["cost"]["percentiles"]["p50"]),
        "P95 cost at completion": money(monte_carlo["cost"]["percentiles"]["p95"]),
        "P80 finish date": monte_carlo["schedule_completion"]["p80"][:10],
    }
    return figures


def expected_values(report: dict[str, Any]) -> dict[str, float]:
    """Return the numeric headline figures of a report, from its GET body."""
    metrics = report["earned_value"]["metrics"]
    key = report["key_metrics"]
    return {
        "Budget at completion (BAC)": metrics["bac"],
        "Earned value (EV)": metrics["ev"],
        "Actual cost (AC)": metrics["ac"],
        "Cost performance index (CPI)": key["cost_performance"],
        "Budget utilisation (AC/BAC)": key["budget_utilization"],
        "P80 cost at completion": report["monte_carlo_analysis"]["cost"]["percentiles"]["p80"],
    }


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    lines = [
        " ".join(line.split())
        for page in reader.pages
        for line in page.extract_text().splitlines()
    ]
    return reader, "\n".join(lines)


def pdf_colours(reader: PdfReader) -> set[str]:
    """Return every RGB fill and stroke colour the PDF's pages and forms set, as hex."""
    colours: set[str] = set()
    streams = [page.get_contents() for page in reader.pages]
    for page in reader.pages:
        resources: Any = page.get("/Resources")
        forms: Any = resources.get_object().get("/XObject") if resources else None
        for name in forms or {}:
            streams.append(forms[name].get_object())
    for stream in streams:
        if stream is None:
            continue
        content = stream.get_data().decode("latin-1")
        for red, green, blue in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)\b", content):
            colours.add("".join(f"{round(float(part) * 255):02X}" for part in (red, green, blue)))
    return colours


def page_images(reader: PdfReader, page_number: int) -> list[tuple[int, int]]:
    """Return the sizes of the raster images drawn on one page, nested forms included."""
    sizes: list[tuple[int, int]] = []
    pending: list[Any] = [reader.pages[page_number].get("/Resources")]
    while pending:
        resources = pending.pop()
        objects: Any = resources.get_object().get("/XObject") if resources else None
        for name in objects or {}:
            item = objects[name].get_object()
            if item.get("/Subtype") == "/Image":
                sizes.append((int(item["/Width"]), int(item["/Height"])))
            elif item.get("/Resources") is not None:
                pending.append(item["/Resources"])
    return sizes


def assert_watermark(text: str, exported: Exported, user: str) -> None:
    match = WATERMARK.search(text)
    assert match is not None, "no watermark in the file"
    moment = datetime.strptime(match.group("moment"), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert match.group("user") == user
    assert exported.requested_after <= moment <= exported.finished_before


def check_pdf(exported: Exported, report: dict[str, Any]) -> PdfReader:
    """Check the figures, watermark, crimson branding and charts of an exported PDF."""
    reader, text = pdf_text(exported.data)
    for label, printed in expected_figures(report).items():
        assert f"{label} {printed}" in text, f"{label} {printed} is not in the PDF"
    assert_watermark(text, exported, "editor@example.com")
    assert "Page 1 of" in text
    assert CRIMSON in pdf_colours(reader)
    assert CRIMSON_EV_LINE in pdf_colours(reader)
    for caption in CHART_CAPTIONS:
        assert caption in text, f"chart {caption!r} is not in the PDF"
    return reader


def check_workbook(exported: Exported, report: dict[str, Any]) -> Any:
    """Check the figures, watermark, crimson branding and charts of an exported workbook."""
    book = load_workbook(io.BytesIO(exported.data))
    summary = book["Summary"]
    cells = {row[0].value: row[1] for row in summary.iter_rows(min_col=1, max_col=2)}
    for label, value in expected_values(report).items():
        assert cells[label].value == pytest.approx(value, rel=1e-12), label
    assert "£" in cells["Budget at completion (BAC)"].number_format
    header = cells["Figure"]
    assert header.fill.fgColor.rgb == f"00{CRIMSON}"
    watermark = book.properties.description
    assert watermark is not None
    assert_watermark(watermark, exported, "editor@example.com")
    sheets: list[Any] = list(book.worksheets)
    assert all(sheet.oddHeader.center.text == watermark for sheet in sheets)
    charts = sum(len(sheet._charts) for sheet in sheets)
    assert charts == len(exported.job["result"]["charts"])
    assert charts > 0
    return book


def check_deck(exported: Exported, report: dict[str, Any]) -> Any:
    """Check the figures, watermark, crimson branding and charts of an exported deck."""
    deck: Any = Presentation(io.BytesIO(exported.data))
    slides = list(deck.slides)
    table = next(shape for shape in slides[1].shapes if shape.has_table).table
    rows = {table.cell(r, 0).text: table.cell(r, 1).text for r in range(1, len(table.rows))}
    for label, printed in expected_figures(report).items():
        assert rows[label] == printed, label
    watermarks = [
        s.text_frame.text for slide in slides for s in slide.shapes if s.name == "Watermark"
    ]
    assert len(watermarks) == len(slides)
    assert_watermark(watermarks[0], exported, "editor@example.com")
    assert len(set(watermarks)) == 1
    title_colour = slides[2].shapes.title.text_frame.paragraphs[0].runs[0].font.color.rgb
    assert str(title_colour) == CRIMSON
    charts = [shape.chart for slide in slides for shape in slide.shapes if shape.has_chart]
    assert len(charts) == len(exported.job["result"]["charts"])
    points = [len(list(chart.plots[0].series[0].values)) for chart in charts]
    assert min(points) >= 1
    assert max(points) > 10, "no chart carries a monthly or simulated series"
    return deck


# Exports of the sample report


async def test_pdf_export_carries_figures_logo_colour_and_watermark(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    uploaded = await upload_logo(client, export_services, "logo.png", png_logo(), "image/png")
    body = {
        "format": "pdf",
        "options": {
            "include_charts": True,
            "branding": {"logo_id": uploaded.json()["logo_id"], "color_scheme": "crimson"},
        },
    }

    exported = await export(client, export_services, sample_report["id"], body)

    assert exported.data.startswith(b"%PDF-")
    reader = check_pdf(exported, sample_report)
    assert (120, 40) in page_images(reader, 0)
    assert exported.job["result"]["pages"] == len(reader.pages)


async def test_excel_export_holds_numbers_logo_colour_and_watermark(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    logo = "data:image/png;base64," + base64.b64encode(png_logo((90, 30))).decode()
    body = {
        "format": "excel",
        "options": {
            "include_raw_data": True,
            "branding": {"logo_url": logo, "color_scheme": "crimson"},
        },
    }

    exported = await export(client, export_services, sample_report["id"], body)

    book = check_workbook(exported, sample_report)
    images = book["Summary"]._images
    assert len(images) == 1
    assert "Activities" in book.sheetnames
    assert book["Activities"].max_row == 41 + 1


async def test_slides_export_has_figures_logo_colour_and_watermark(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    uploaded = await upload_logo(client, export_services, "logo.jpg", jpeg_logo(), "image/jpeg")
    body = {
        "format": "slides",
        "options": {
            "branding": {"logo_id": uploaded.json()["logo_id"], "color_scheme": "crimson"}
        },
    }

    exported = await export(client, export_services, sample_report["id"], body)

    deck = check_deck(exported, sample_report)
    title = next(iter(deck.slides))
    pictures = [s for s in title.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1


async def test_export_start_returns_specified_response(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    before = datetime.now(UTC)

    response = await start_export(client, export_services, sample_report["id"], {"format": "pdf"})

    body = response.json()
    assert response.status_code == 202
    assert set(body) == {"export_job_id", "status", "estimated_completion", "download_url"}
    assert body["status"] == "processing"
    assert body["download_url"] is None
    assert datetime.fromisoformat(body["estimated_completion"]) > before
    assert response.headers["location"] == f"/api/jobs/{body['export_job_id']}"
    job = await wait_for_job(client, export_services, body["export_job_id"])
    assert job["status"] == "completed", job


async def test_export_history_records_who_when_and_hash(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    exported = await export(client, export_services, sample_report["id"], {"format": "excel"})

    response = await client.get(
        f"/api/reports/pmr/{sample_report['id']}/exports",
        headers=headers(export_services, Role.VIEWER),
    )

    entries = {entry["export_id"]: entry for entry in response.json()["exports"]}
    entry = entries[exported.export_id]
    assert response.status_code == 200
    assert entry["sha256"] == hashlib.sha256(exported.data).hexdigest()
    assert entry["size_bytes"] == len(exported.data)
    assert entry["requested_by"] == "editor@example.com"
    assert entry["format"] == "excel"
    assert entry["template_name"] == "Executive Dashboard"
    assert entry["job_id"] == exported.job["id"]
    assert entry["file_name"].endswith("-2025-07.xlsx")
    requested = datetime.fromisoformat(entry["requested_at"])
    assert exported.requested_after <= requested <= exported.finished_before


async def test_export_adds_one_to_template_usage_count(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    viewer = headers(export_services, Role.VIEWER)
    listed = (await client.get("/api/reports/pmr/templates", headers=viewer)).json()
    executive = next(t for t in listed["templates"] if t["template_type"] == "executive")

    await export(
        client,
        export_services,
        sample_report["id"],
        {"format": "slides", "template_id": executive["id"]},
    )

    again = (await client.get("/api/reports/pmr/templates", headers=viewer)).json()
    updated = next(t for t in again["templates"] if t["id"] == executive["id"])
    assert updated["usage_count"] == executive["usage_count"] + 1
    assert set(updated) >= {"sections", "export_formats", "usage_count", "rating"}
    assert "ai_suggestions" in updated["sections"][0]


# Download links and rights


@pytest.fixture(scope="module")
async def finished_export(export_services: Services, sample_report: dict[str, Any]) -> Exported:
    transport = httpx.ASGITransport(app=create_app(export_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        return await export(client, export_services, sample_report["id"], {"format": "pdf"})


def link_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["expires"][0]), query["signature"][0]


async def test_expired_download_link_is_refused(
    client: httpx.AsyncClient,
    export_services: Services,
    sample_report: dict[str, Any],
    finished_export: Exported,
) -> None:
    signer = link_signer(export_services.settings)
    ttl = export_services.settings.export_link_ttl_seconds
    report_id = uuid.UUID(sample_report["id"])
    issued = time.time() - ttl - 5
    url = signer.url(report_id, uuid.UUID(finished_export.export_id), now=issued)

    response = await client.get(url, headers=headers(export_services, Role.VIEWER))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "download_link_expired"
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param("later-expiry", id="later-expiry"),
        pytest.param("flipped-signature", id="flipped-signature"),
        pytest.param("short-signature", id="short-signature"),
        pytest.param("other-export", id="other-export"),
    ],
)
async def test_tampered_download_link_is_refused(
    client: httpx.AsyncClient,
    export_services: Services,
    finished_export: Exported,
    tamper: str,
) -> None:
    path, expires, signature = link_parts(finished_export.job["download_url"])
    if tamper == "later-expiry":
        expires += 3600
    elif tamper == "flipped-signature":
        signature = ("0" if signature[0] != "0" else "1") + signature[1:]
    elif tamper == "short-signature":
        signature = signature[:20]
    else:
        path = path.replace(finished_export.export_id, str(uuid.uuid4()))

    response = await client.get(
        path,
        params={"expires": expires, "signature": signature},
        headers=headers(export_services, Role.VIEWER),
    )

    assert response.status_code == 403
    assert response.json()["code"] == "download_link_invalid"


async def test_download_needs_a_bearer_token(
    client: httpx.AsyncClient, finished_export: Exported
) -> None:
    response = await client.get(finished_export.job["download_url"])

    assert response.status_code == 401


async def test_download_is_limited_to_session_participants(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    report = await generated_report(
        client, export_services, "sample.json", sample_project_bytes(), "2025-07"
    )
    exported = await export(client, export_services, report["id"], {"format": "excel"})
    session = await client.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={"session_type": "collaborative", "participants": ["reader@example.com"]},
        headers=headers(export_services, Role.PROJECT_MANAGER),
    )
    url = exported.job["download_url"]

    reader = await client.get(
        url, headers=headers(export_services, Role.VIEWER, "reader@example.com")
    )
    outsider = await client.get(
        url, headers=headers(export_services, Role.VIEWER, "out@example.com")
    )

    assert session.status_code == 200, session.text
    assert reader.status_code == 200
    assert reader.content == exported.data
    assert outsider.status_code == 403
    assert outsider.json()["code"] == "permission_denied"
    assert "out@example.com" in outsider.json()["detail"]


async def test_download_link_of_unknown_report_is_refused(
    client: httpx.AsyncClient, export_services: Services, finished_export: Exported
) -> None:
    signer = link_signer(export_services.settings)
    url = signer.url(uuid.uuid4(), uuid.UUID(finished_export.export_id))

    response = await client.get(url, headers=headers(export_services, Role.VIEWER))

    assert response.status_code == 404
    assert "not an export of report" in response.json()["detail"]


async def test_job_gives_fresh_link_and_download_is_attachment(
    client: httpx.AsyncClient, export_services: Services, finished_export: Exported
) -> None:
    job_url = f"/api/jobs/{finished_export.job['id']}"

    job = (await client.get(job_url, headers=headers(export_services, Role.VIEWER))).json()
    response = await client.get(job["download_url"], headers=headers(export_services, Role.VIEWER))

    _, expires, _ = link_parts(job["download_url"])
    ttl = export_services.settings.export_link_ttl_seconds
    assert time.time() < expires <= time.time() + ttl + 1
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content == finished_export.data


# Logos


async def test_png_and_jpeg_logos_are_stored_re_encoded(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    png = await upload_logo(client, export_services, "a.png", png_logo(), "image/png")
    jpeg = await upload_logo(client, export_services, "b.jpg", jpeg_logo(), "image/jpeg")

    stored = await client.get(
        f"/api/branding/logos/{png.json()['logo_id']}",
        headers=headers(export_services, Role.VIEWER),
    )

    assert png.status_code == 201
    assert png.json()["content_type"] == "image/png"
    assert jpeg.status_code == 201
    assert jpeg.json()["content_type"] == "image/jpeg"
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(stored.content)).size == (120, 40)


async def test_svg_logo_loses_scripts_and_handlers(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    uploaded = await upload_logo(client, export_services, "logo.svg", SVG_LOGO, "image/svg+xml")

    stored = await client.get(
        f"/api/branding/logos/{uploaded.json()['logo_id']}",
        headers=headers(export_services, Role.VIEWER),
    )

    text = stored.content.decode()
    assert uploaded.status_code == 201, uploaded.text
    assert stored.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in stored.headers["content-security-policy"]
    assert "<script" not in text
    assert "onload" not in text
    assert "onclick" not in text
    assert "javascript:" not in text
    assert 'fill="#8B1E3F"' in text


async def test_svg_logo_is_drawn_in_the_pdf(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    uploaded = await upload_logo(client, export_services, "logo.svg", SVG_LOGO, "image/svg+xml")
    body = {
        "format": "pdf",
        "options": {"branding": {"logo_id": uploaded.json()["logo_id"], "color_scheme": "slate"}},
    }

    exported = await export(client, export_services, sample_report["id"], body)

    reader, _ = pdf_text(exported.data)
    assert CRIMSON in pdf_colours(reader)
    assert SLATE in pdf_colours(reader)


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status", "code"),
    [
        pytest.param(
            "big.png",
            b"\x89PNG\r\n\x1a\n" + b"\0" * LOGO_LIMIT,
            "image/png",
            413,
            "logo_too_large",
            id="oversize",
        ),
        pytest.param("logo.gif", b"GIF89a" + b"\0" * 64, "image/gif", 415, "logo_type", id="gif"),
        pytest.param("x.pdf", b"%PDF-1.7\n", "image/png", 415, "logo_type", id="pdf-as-png"),
        pytest.param(
            "bad.png", b"\x89PNG\r\n\x1a\nbroken", "image/png", 422, "logo_rejected", id="broken"
        ),
        pytest.param(
            "entity.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "image/svg+xml",
            422,
            "logo_rejected",
            id="svg-with-dtd",
        ),
    ],
)
async def test_bad_logo_upload_is_refused(
    client: httpx.AsyncClient,
    export_services: Services,
    name: str,
    data: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    response = await upload_logo(client, export_services, name, data, content_type)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.headers["content-type"] == "application/problem+json"


async def test_logo_upload_by_viewer_is_403(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    response = await client.post(
        "/api/branding/logos",
        files={"file": ("a.png", png_logo(), "image/png")},
        headers=headers(export_services, Role.VIEWER),
    )

    assert response.status_code == 403


@pytest.fixture
def silent_listener() -> Iterator[tuple[socket.socket, int]]:
    """A loopback socket that counts connection attempts but never answers one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    yield listener, listener.getsockname()[1]
    listener.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("http://127.0.0.1/logo.png", "not_https", id="http-loopback"),
        pytest.param("https://10.0.0.1/logo.png", "address_not_public", id="private-10"),
        pytest.param("https://localhost/logo.png", "address_not_public", id="localhost"),
        pytest.param("https://cdn.example.org/logo.png", "host_not_allowed", id="not-listed"),
        pytest.param("https://[::1]/logo.png", "host_not_allowed", id="ipv6-loopback"),
        pytest.param("ftp://10.0.0.1/logo.png", "not_https", id="ftp"),
        pytest.param("https://user:pw@10.0.0.1/logo.png", "credentials", id="credentials"),
    ],
)
async def test_logo_url_is_refused_by_policy(
    client: httpx.AsyncClient,
    export_services: Services,
    sample_report: dict[str, Any],
    url: str,
    reason: str,
) -> None:
    body = {"format": "pdf", "options": {"branding": {"logo_url": url}}}

    response = await start_export(client, export_services, sample_report["id"], body)

    problem = response.json()
    assert response.status_code == 422
    assert problem["code"] == "logo_rejected"
    assert problem["reason"] == reason
    assert "logo" in problem["detail"]


async def test_logo_url_policy_decides_before_connecting(
    client: httpx.AsyncClient,
    export_services: Services,
    sample_report: dict[str, Any],
    silent_listener: tuple[socket.socket, int],
) -> None:
    listener, port = silent_listener
    urls = [f"https://127.0.0.1:{port}/logo.png", f"https://127.0.0.1:{free_port()}/logo.png"]

    responses = [
        await start_export(
            client,
            export_services,
            sample_report["id"],
            {"format": "pdf", "options": {"branding": {"logo_url": url}}},
        )
        for url in urls
    ]

    assert [r.status_code for r in responses] == [422, 422]
    assert [r.json()["reason"] for r in responses] == ["address_not_public"] * 2
    assert all("127.0.0.1" in r.json()["detail"] for r in responses)
    with pytest.raises(BlockingIOError):
        listener.accept()


async def test_logo_data_url_of_wrong_type_is_415(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    url = "data:image/gif;base64," + base64.b64encode(b"GIF89a").decode()
    body = {"format": "pdf", "options": {"branding": {"logo_url": url}}}

    response = await start_export(client, export_services, sample_report["id"], body)

    assert response.status_code == 415
    assert response.json()["code"] == "logo_type"


# Requests that are refused before a job starts


@pytest.mark.parametrize(
    ("options", "code"),
    [
        pytest.param({"sections": ["no_such_part"]}, "invalid_sections", id="unknown-section"),
        pytest.param({"branding": {"color_scheme": "neon"}}, "invalid_branding", id="palette"),
        pytest.param({"colour": "red"}, "validation_failed", id="unknown-option"),
    ],
)
async def test_invalid_export_request_is_422(
    client: httpx.AsyncClient,
    export_services: Services,
    sample_report: dict[str, Any],
    options: dict[str, Any],
    code: str,
) -> None:
    body = {"format": "pdf", "options": options}

    response = await start_export(client, export_services, sample_report["id"], body)

    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_export_by_viewer_is_403(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    response = await start_export(
        client, export_services, sample_report["id"], {"format": "pdf"}, role=Role.VIEWER
    )

    assert response.status_code == 403


async def test_export_of_unknown_report_is_404(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    response = await start_export(client, export_services, str(uuid.uuid4()), {"format": "pdf"})

    assert response.status_code == 404


# Templates


def template_body(sections: list[str], **styling: Any) -> dict[str, Any]:
    return {
        "name": f"Board pack {uuid.uuid4().hex[:6]}",
        "description": "Risk first, then the summary.",
        "template_type": "board",
        "sections": [
            {"section_id": section, "title": section.replace("_", " ").title()}
            for section in sections
        ],
        "export_formats": ["pdf", "excel", "slides"],
        "styling": styling,
    }


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PROJECT_MANAGER])
async def test_template_writes_need_admin(
    client: httpx.AsyncClient, export_services: Services, role: Role
) -> None:
    body = template_body(["executive_summary"])
    executive = "5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e01"

    created = await client.post(
        "/api/reports/pmr/templates", json=body, headers=headers(export_services, role)
    )
    replaced = await client.put(
        f"/api/reports/pmr/templates/{executive}",
        json=body,
        headers=headers(export_services, role),
    )

    assert created.status_code == 403
    assert replaced.status_code == 403


async def test_admin_creates_and_replaces_template(
    client: httpx.AsyncClient, export_services: Services
) -> None:
    admin = headers(export_services, Role.ADMIN)
    body = template_body(["risk_assessment", "executive_summary"], color_scheme="forest_green")

    created = await client.post("/api/reports/pmr/templates", json=body, headers=admin)
    template_id = created.json()["id"]
    replaced = await client.put(
        f"/api/reports/pmr/templates/{template_id}",
        json={**body, "sections": body["sections"][:1], "export_formats": ["pdf"]},
        headers=admin,
    )
    listed = await client.get("/api/reports/pmr/templates", headers=admin)

    assert created.status_code == 201, created.text
    assert created.json()["usage_count"] == 0
    assert created.json()["rating"] is None
    assert created.json()["created_by"] == "admin@example.com"
    assert created.json()["styling"]["color_scheme"] == "forest_green"
    assert replaced.status_code == 200, replaced.text
    assert [s["section_id"] for s in replaced.json()["sections"]] == ["risk_assessment"]
    assert replaced.json()["export_formats"] == ["pdf"]
    assert template_id in [template["id"] for template in listed.json()["templates"]]


@pytest.mark.parametrize(
    ("styling", "field"),
    [
        pytest.param({"color_scheme": "neon"}, "colour scheme", id="palette"),
        pytest.param({"page_size": "A0"}, "page_size", id="page-size"),
        pytest.param({"font_size_pt": 40}, "font_size_pt", id="font-size"),
        pytest.param({"shadow": True}, "shadow", id="unknown-key"),
    ],
)
async def test_template_with_invalid_styling_is_422(
    client: httpx.AsyncClient, export_services: Services, styling: dict[str, Any], field: str
) -> None:
    body = template_body(["executive_summary"], **styling)

    response = await client.post(
        "/api/reports/pmr/templates", json=body, headers=headers(export_services, Role.ADMIN)
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_styling"
    assert field in response.json()["detail"]


async def test_template_sections_and_styling_drive_every_format(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    body = template_body(
        ["risk_assessment", "executive_summary"],
        color_scheme="forest_green",
        orientation="landscape",
        cover=False,
        table_of_contents=False,
    )
    created = await client.post(
        "/api/reports/pmr/templates", json=body, headers=headers(export_services, Role.ADMIN)
    )
    template_id = created.json()["id"]

    files = {
        fmt: await export(
            client,
            export_services,
            sample_report["id"],
            {"format": fmt, "template_id": template_id},
        )
        for fmt in ("pdf", "excel", "slides")
    }

    expected_parts = ["risk_assessment", "executive_summary", "charts"]
    assert all(f.job["result"]["parts"] == expected_parts for f in files.values())
    reader, text = pdf_text(files["pdf"].data)
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)
    assert "Key figures" in first.extract_text()
    assert "Project monthly report" not in text
    assert "Contents" not in text
    assert text.index("Risk Assessment") < text.index("Executive Summary")
    assert "Budget Analysis" not in text
    assert FOREST_GREEN in pdf_colours(reader)
    book = load_workbook(io.BytesIO(files["excel"].data))
    assert book.sheetnames == ["Summary", "Risk Assessment", "Executive Summary", "Charts"]
    assert book["Summary"]["A9"].fill.fgColor.rgb == f"00{FOREST_GREEN}"
    deck: Any = Presentation(io.BytesIO(files["slides"].data))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert titles.index("Risk Assessment") < titles.index("Executive Summary")
    assert "Budget Analysis" not in titles
    colour = list(deck.slides)[1].shapes.title.text_frame.paragraphs[0].runs[0].font.color.rgb
    assert str(colour) == FOREST_GREEN
    listed = await client.get(
        "/api/reports/pmr/templates", headers=headers(export_services, Role.VIEWER)
    )
    used = next(t for t in listed.json()["templates"] if t["id"] == template_id)
    assert used["usage_count"] == 3


async def test_template_without_the_format_is_refused(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    body = {**template_body(["executive_summary"]), "export_formats": ["pdf"]}
    created = await client.post(
        "/api/reports/pmr/templates", json=body, headers=headers(export_services, Role.ADMIN)
    )

    response = await start_export(
        client,
        export_services,
        sample_report["id"],
        {"format": "slides", "template_id": created.json()["id"]},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "format_not_in_template"


# The export job itself


async def test_failed_export_job_names_reason_and_leaves_nothing(
    client: httpx.AsyncClient, export_services: Services, sample_report: dict[str, Any]
) -> None:
    settings = export_services.settings
    report_id = uuid.UUID(sample_report["id"])
    job = export_services.jobs.create("export", report_id)
    template = export_services.templates.default()
    plan = ExportPlan(
        report_id=report_id,
        job_id=job.id,
        export_id=uuid.uuid4(),
        format="pdf",
        template_id=template.id,
        template_name=template.name,
        template_sections=tuple(section.section_id for section in template.sections),
        styling=dict(template.styling),
        color_scheme=None,
        logo_type=None,
        logo_data=None,
        # The API refuses unknown parts, so only a direct submission reaches the job with one.
        sections=("no_such_part",),
        include_charts=True,
        include_raw_data=False,
        requested_by="editor@example.com",
        requested_at=datetime.now(UTC),
    )

    await run_export.remote(plan, settings)

    failed = await wait_for_job(client, export_services, str(job.id))
    history = await client.get(
        f"/api/reports/pmr/{report_id}/exports", headers=headers(export_services, Role.VIEWER)
    )
    path = export_path(settings, report_id, plan.export_id, "pdf")
    assert failed["status"] == "failed"
    assert failed["error"].startswith("OptionsError: sections no_such_part are not in this report")
    assert "\n" not in failed["error"]
    assert failed["download_url"] is None
    assert not path.exists()
    assert not list(path.parent.glob(f"{plan.export_id}*"))
    assert str(plan.export_id) not in history.text


# The sp10 report


async def test_sp10_report_exports_in_every_format(
    client: httpx.AsyncClient, export_services: Services, shared_data: Path, tmp_path: Path
) -> None:
    data = (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()
    report = await generated_report(client, export_services, "sp10.xer", data, "2017-09")
    uploaded = await upload_logo(client, export_services, "logo.png", png_logo(), "image/png")
    options = {
        "include_charts": True,
        "branding": {"logo_id": uploaded.json()["logo_id"], "color_scheme": "crimson"},
    }

    files = {
        fmt: await export(
            client, export_services, report["id"], {"format": fmt, "options": options}
        )
        for fmt in ("pdf", "excel", "slides")
    }

    # The XER's base currency (CURRTYPE) is the pound, so money() prints its amounts.
    assert report["earned_value"]["currency"] == "GBP"
    reader = check_pdf(files["pdf"], report)
    assert (120, 40) in page_images(reader, 0)
    assert len(files["pdf"].job["result"]["charts"]) >= 5
    book = check_workbook(files["excel"], report)
    assert len(book["Summary"]._images) == 1
    deck = check_deck(files["slides"], report)
    title = next(iter(deck.slides))
    assert len([s for s in title.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]) == 1
    render_first_page(files["pdf"].data, tmp_path, "export-sp10-page-1.png")


def render_first_page(data: bytes, folder: Path, name: str) -> None:
    """Render page 1 to PNG, and copy it to docs/images when PMR_DOC_IMAGES is 1."""
    binary = shutil.which("pdftoppm")
    assert binary is not None, "pdftoppm (poppler-utils) is installed by .ci/run"
    source = folder / "export.pdf"
    source.write_bytes(data)
    subprocess.run(
        [
            binary,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(folder / "page"),
        ],
        check=True,
    )
    page = folder / "page.png"
    assert Image.open(page).size[0] > 300
    if UPDATE_IMAGES:
        shutil.copy(page, IMAGES / name)


# Through Ray Serve over real HTTP


def free_port() -> int:
    """Return a loopback port that nothing listens on once the probe socket closes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def served(session_settings: Settings, ray_cluster: None) -> Iterator[tuple[str, Settings]]:
    settings = session_settings.model_copy(update={"port": free_port()})
    url = server.start(settings)
    yield url, settings
    server.stop()


def test_export_through_serve_downloads_checked_file(served: tuple[str, Settings]) -> None:
    url, settings = served
    tokens = token_service(settings)
    pm = {"Authorization": f"Bearer {tokens.issue('pm@example.com', Role.PROJECT_MANAGER)}"}
    with httpx.Client(base_url=url, headers=pm, timeout=60) as http:
        project = http.post(
            "/api/projects/import", files={"file": ("s.json", sample_project_bytes())}
        )
        started = http.post(
            "/api/reports/pmr/generate",
            json={"project_id": project.json()["project_id"], "report_month": "2025-07"},
        )
        report_id = started.json()["id"]
        generated = poll_job(http, started.json()["generation_job_id"])
        export = http.post(f"/api/reports/pmr/{report_id}/export", json={"format": "pdf"})
        job = poll_job(http, export.json()["export_job_id"])
        download = http.get(job["download_url"])
        history = http.get(f"/api/reports/pmr/{report_id}/exports").json()["exports"]

    assert generated["status"] == "completed", generated
    assert export.status_code == 202, export.text
    assert job["status"] == "completed", job
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-")
    assert history[0]["sha256"] == hashlib.sha256(download.content).hexdigest()
    assert history[0]["requested_by"] == "pm@example.com"


def poll_job(http: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        # NOTE: the jobs API has no wait; this polls it under a deadline.
        time.sleep(0.2)
        job = http.get(f"/api/jobs/{job_id}").json()
    return job
