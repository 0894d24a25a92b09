"""``pmr generate``: import a file and generate its report on a local Ray instance."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import click
import ray

from actors import GenerationPlan, ReportGateway, connect
from cli.importing import read_schedule, store_schedule
from cli.progress import step
from config import Settings
from deployments.routes.reports import report_body
from reporting import report_month_problem
from storage import Database, JobRepository, ReportRepository, TemplateRepository


def generate_report(settings: Settings, path: Path, month: str) -> dict[str, Any]:
    """Return the generated report in the shape of ``GET /api/reports/pmr/{id}``."""
    # The month is checked before the project is stored, so a wrong month stores nothing.
    schedule = read_schedule(settings, path)
    problem = report_month_problem(month, schedule.project.data_date.date())
    if problem is not None:
        raise click.ClickException(problem)
    summary = store_schedule(settings, path, schedule)
    database = Database(settings.sqlalchemy_url)
    try:
        reports = ReportRepository(database)
        jobs = JobRepository(database)
        template = TemplateRepository(database).default()
        title = f"{summary['name']}: monthly report {month}"
        report = reports.create(
            uuid.UUID(summary["project_id"]),
            title=title,
            description=None,
            report_month=month,
            template_id=template.id,
            created_by="cli",
        )
        job = jobs.create("report_generation", report.id)
        plan = GenerationPlan(
            report_id=report.id,
            job_id=job.id,
            project_id=report.project_id,
            report_month=month,
            title=title,
            description=None,
            template_sections=tuple(section.section_id for section in template.sections),
            section_titles=tuple(
                (section.section_id, section.title) for section in template.sections
            ),
            template_id=template.id,
            requested_by="cli",
        )
        with step("Starting Ray"):
            connect(settings)
        gateway = ReportGateway(settings)
        with step(f"Generating the report for {month}"):
            ray.get(gateway.start_generation(plan))
        record = reports.get(report.id)
        if record.status != "completed":
            raise click.ClickException(f"generation failed: {record.error}")
        document = asyncio.run(gateway.read_document(report.id))
        return report_body(record, document).model_dump(mode="json")
    finally:
        database.dispose()
