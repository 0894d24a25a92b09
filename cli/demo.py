"""``pmr demo``: the whole flow on the embedded defaults, through the REST API."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import click
import httpx

from cli.progress import step
from cli.serving import start_server, wait_for_interrupt
from cli.tokens import create_token
from config import Settings
from deployments import server
from schedules.samples import SAMPLE_PROJECT_FILE, sample_project_bytes

_DEMO_USER = "demo.manager@example.com"
_JOB_TIMEOUT_SECONDS = 300.0
# The ids of the demo's project and report, kept in the data folder between runs.
STATE_FILE = "demo.json"
# The report's headline figures: key, label, and whether to print the value as a percentage.
_HEADLINES = (
    ("budget_utilization", "Budget used (AC/BAC)", True),
    ("cost_performance", "Cost performance (CPI)", False),
    ("schedule_performance", "Schedule performance (SPI)", False),
    ("risk_score", "Risk score (0 to 1)", False),
)


def run_demo(settings: Settings, *, keep_serving: bool) -> None:
    with step("Starting the server (Ray, Serve, database)"):
        url = start_server(settings)
    token = create_token(settings, _DEMO_USER, "project_manager")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as client:
        project, report = sample_report(client, settings.data_dir / STATE_FILE)
    _print_result(url, token, project, report, served=keep_serving)
    if keep_serving:
        click.echo("The server keeps running; Ctrl-C stops it.")
        wait_for_interrupt()
    server.stop()


def sample_report(client: httpx.Client, state_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the sample project and its report, importing and generating them if needed.

    A later run reuses what an earlier one stored, so restarting the demo neither imports
    the sample again nor loses edits made to its report. A changed sample, or a database
    that no longer contains the project or the report, starts afresh.
    """
    sample = sample_project_bytes()
    digest = hashlib.sha256(sample).hexdigest()
    earlier = _earlier_run(client, state_file, digest)
    if earlier is not None:
        click.echo(
            f"Using the sample project and report of an earlier demo; delete {state_file} "
            "to import the sample again."
        )
        return earlier
    with step("Importing the bundled sample project"):
        project = _import_sample(client, sample)
    with step("Generating its monthly report"):
        report = _generate(client, project)
    _remember(
        state_file,
        {"sample_sha256": digest, "project_id": project["project_id"], "report_id": report["id"]},
    )
    return project, report


def _earlier_run(
    client: httpx.Client, state_file: Path, digest: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        project_id = uuid.UUID(state["project_id"])
        report_id = uuid.UUID(state["report_id"])
        sample_digest = state["sample_sha256"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        click.echo(
            f"Ignoring {state_file}, which does not hold a demo's ids ({error}); "
            "importing the sample again."
        )
        return None
    if sample_digest != digest:
        click.echo(
            "The bundled sample changed since the demo that wrote "
            f"{state_file}; importing the sample again."
        )
        return None
    project = client.get(f"/api/projects/{project_id}")
    report = client.get(f"/api/reports/pmr/{report_id}")
    if project.status_code == 404 or report.status_code == 404:
        return None
    _check(project)
    _check(report)
    body: dict[str, Any] = report.json()
    if body["status"] != "completed" or body["project_id"] != str(project_id):
        return None
    return project.json(), body


def _remember(state_file: Path, state: dict[str, str]) -> None:
    # Written aside and renamed, so that an interrupted run leaves the old file or none.
    state_file.parent.mkdir(parents=True, exist_ok=True)
    partial = state_file.with_name(state_file.name + ".partial")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, state_file)


def _import_sample(client: httpx.Client, sample: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/projects/import", files={"file": (SAMPLE_PROJECT_FILE, sample, "application/json")}
    )
    _check(response)
    project: dict[str, Any] = response.json()
    return project


def _generate(client: httpx.Client, project: dict[str, Any]) -> dict[str, Any]:
    month = project["data_date"][:7]
    response = client.post(
        "/api/reports/pmr/generate",
        json={"project_id": project["project_id"], "report_month": month},
    )
    _check(response)
    started = response.json()
    deadline = time.monotonic() + _JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{started['generation_job_id']}")
        _check(job)
        status = job.json()["status"]
        if status == "completed":
            report = client.get(f"/api/reports/pmr/{started['id']}")
            _check(report)
            result: dict[str, Any] = report.json()
            return result
        if status in ("failed", "cancelled"):
            raise click.ClickException(f"report generation {status}: {job.json()['error']}")
        time.sleep(0.5)
    raise click.ClickException(f"report generation did not finish in {_JOB_TIMEOUT_SECONDS:.0f} s")


def _check(response: httpx.Response) -> None:
    if response.is_error:
        raise click.ClickException(
            f"{response.request.method} {response.request.url} failed with "
            f"{response.status_code}: {response.text}"
        )


def _print_result(
    url: str, token: str, project: dict[str, Any], report: dict[str, Any], *, served: bool
) -> None:
    metrics = report["key_metrics"]
    click.echo("")
    click.echo(f"Project   {project['name']} ({project['activities']} activities)")
    click.echo(f"Report    {report['title']}")
    for key, label, percentage in _HEADLINES:
        click.echo(f"  {label:28} {_figure(metrics.get(key), percentage=percentage)}")
    click.echo(f"Insights  {len(report['ai_insights'])}")
    click.echo("")
    if not served:
        click.echo(f"Report {report['id']} is stored in the database; `pmr serve` shows it again.")
        return
    click.echo(f"Open it:  {url}/app/reports/{report['id']}?token={token}")
    click.echo(
        f"Or fetch: curl -H 'Authorization: Bearer {token}' {url}/api/reports/pmr/{report['id']}"
    )
    click.echo(f"API docs: {url}/docs")


def _figure(value: object, *, percentage: bool) -> str:
    if value is None:
        return "not available"
    # A figure is whatever JSON value the report contains, which need not be a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.1%}" if percentage else f"{value:.2f}"
