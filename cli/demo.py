"""``pmr demo``: the whole flow on the embedded defaults, through the REST API."""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import click
import httpx

from cli.progress import step
from cli.serving import start_server, wait_for_interrupt
from cli.tokens import create_token
from config import Settings
from deployments import server

_DEMO_USER = "demo.manager@example.com"
_JOB_TIMEOUT_SECONDS = 300.0
_SAMPLE = "sample-project.json"
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
        with step("Importing the bundled sample project"):
            project = _import_sample(client)
        with step("Generating its monthly report"):
            report = _generate(client, project)
    _print_result(url, token, project, report, served=keep_serving)
    if keep_serving:
        click.echo("The server keeps running; Ctrl-C stops it.")
        wait_for_interrupt()
    server.stop()


def _import_sample(client: httpx.Client) -> dict[str, Any]:
    sample = resources.files("schedules.samples").joinpath(_SAMPLE).read_bytes()
    response = client.post(
        "/api/projects/import", files={"file": (_SAMPLE, sample, "application/json")}
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
