"""``pmr import``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.progress import step
from config import Settings
from deployments.routes.projects import project_body
from schedules import ImportResult, ScheduleImportError, import_schedule
from storage import Database, ProjectRepository, StorageError


def import_file(settings: Settings, path: Path, *, imported_by: str = "cli") -> dict[str, Any]:
    """Read, check and store a schedule; return its summary as JSON-ready values.

    Raises:
        click.ClickException: the file is not a schedule this server reads.
    """
    result = read_schedule(settings, path)
    return store_schedule(settings, path, result, imported_by=imported_by)


def read_schedule(settings: Settings, path: Path) -> ImportResult:
    """Read and check a schedule file without storing it.

    Raises:
        click.ClickException: the file is over the upload limit or not a schedule this
            server reads.
    """
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise click.ClickException(
            f"{path} has {size:,} bytes, over the limit of {settings.max_upload_bytes:,}; "
            "raise PMR_MAX_UPLOAD_BYTES to import it"
        )
    with step(f"Reading {path.name}"):
        data = path.read_bytes()
        try:
            return import_schedule(data, path.name, max_bytes=settings.max_upload_bytes)
        except ScheduleImportError as error:
            raise click.ClickException(f"{path}: {error.detail} [{error.code}]") from error


def store_schedule(
    settings: Settings, path: Path, result: ImportResult, *, imported_by: str = "cli"
) -> dict[str, Any]:
    """Store a schedule that ``read_schedule`` returned; return its summary."""
    database = Database(settings.sqlalchemy_url)
    try:
        with step("Storing the project"):
            database.migrate()
            projects = ProjectRepository(database)
            project_id = projects.add(result, filename=path.name, imported_by=imported_by)
            summary = projects.summary(project_id)
    except StorageError as error:
        raise click.ClickException(f"{path}: not stored: {error}") from error
    finally:
        database.dispose()
    return project_body(summary).model_dump(mode="json")


def print_summary(summary: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=f"{summary['name']} ({summary['project_id']})", show_header=False)
    for key in ("currency", "data_date", "activities", "relationships"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    table.add_row("budget at completion", f"{summary['budget_at_completion']:,.2f}")
    table.add_row("actual cost", f"{summary['actual_cost']:,.2f}")
    table.add_row("warnings", str(len(summary["warnings"])))
    console.print(table)
    for warning in summary["warnings"]:
        console.print(f"[yellow]{warning['code']}[/yellow]: {warning['message']}")
