"""An export of a report, run as a Ray task: read, render, check, store, record.

The file is written under ``PMR_DATA_DIR/exports/<report id>/`` and recorded in the
report's export history with its SHA-256 only after it passed the quality checks; a failed
check fails the job with the reason and leaves no file behind.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import ray

from actors.audit_trail import export_event
from actors.errors import describe
from actors.job_events import job_observer
from actors.registry import report_actor_handle
from config import Settings
from config.logs import configure_logging, log_context
from exports import (
    Branding,
    ExportFormat,
    ExportRequest,
    Logo,
    export_report,
    palette,
    parse_styling,
    project_data,
)
from storage import (
    AuditRepository,
    Conflict,
    Database,
    ExportRepository,
    JobRepository,
    NewExport,
    ProjectRepository,
    ReportRepository,
)

logger = logging.getLogger(__name__)

JOB_KIND = "export"


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """A requested export; plain values only, because it crosses the Ray boundary."""

    report_id: uuid.UUID
    job_id: uuid.UUID
    export_id: uuid.UUID
    format: str
    template_id: uuid.UUID
    template_name: str
    template_sections: tuple[str, ...]
    styling: dict[str, Any]
    color_scheme: str | None
    logo_type: str | None
    logo_data: bytes | None
    sections: tuple[str, ...] | None
    include_charts: bool
    include_raw_data: bool
    requested_by: str
    requested_at: datetime

    def request(self) -> ExportRequest:
        """Return the rendering request, with branding over the template's own styling."""
        styling = parse_styling(self.styling)
        logo = Logo(self.logo_type, self.logo_data) if self.logo_type and self.logo_data else None
        return ExportRequest(
            format=ExportFormat(self.format),
            template_name=self.template_name,
            template_sections=self.template_sections,
            styling=styling,
            branding=Branding(palette(self.color_scheme or styling.color_scheme), logo),
            sections=self.sections,
            include_charts=self.include_charts,
            include_raw_data=self.include_raw_data,
            exported_by=self.requested_by,
            exported_at=self.requested_at,
        )


def export_path(settings: Settings, report_id: uuid.UUID, export_id: uuid.UUID, fmt: str) -> Path:
    """Return where an export's file lives under the data folder."""
    extension = ExportFormat(fmt).extension
    return settings.data_dir / "exports" / str(report_id) / f"{export_id}.{extension}"


def file_name(title: str, report_month: str, fmt: str) -> str:
    """Return the download name: the title's ASCII letters and digits, month, extension."""
    # ASCII only, because the name goes into a Content-Disposition header as it is.
    stem = "".join(char if char.isascii() and char.isalnum() else "-" for char in title)
    stem = stem[:80].strip("-")
    compact = "-".join(part for part in stem.split("-") if part) or "report"
    # Report titles usually carry the month already; it is not repeated.
    if not compact.endswith(report_month):
        compact = f"{compact}-{report_month}"
    return f"{compact}.{ExportFormat(fmt).extension}"


class _ExportRun:
    def __init__(self, plan: ExportPlan, settings: Settings) -> None:
        self.plan = plan
        self.settings = settings
        self.database = Database(settings.sqlalchemy_url)
        self.jobs = JobRepository(self.database, on_change=job_observer(settings))

    def run(self) -> None:
        path = export_path(
            self.settings, self.plan.report_id, self.plan.export_id, self.plan.format
        )
        try:
            self._export(path)
        except Conflict as error:
            # The job was cancelled or finished elsewhere; nothing of this run may stay.
            logger.info("export job %s stopped: %s", self.plan.job_id, error)
            self._discard(path)
        except Exception as error:
            self._discard(path)
            logger.error("export job %s failed", self.plan.job_id, exc_info=error)
            self._fail(describe(error))
        finally:
            self.database.dispose()

    def _discard(self, path: Path) -> None:
        """Remove the file, its partial copy and its history entry, whichever exist."""
        path.unlink(missing_ok=True)
        _partial(path).unlink(missing_ok=True)
        try:
            ExportRepository(self.database).remove(self.plan.export_id)
        except Exception as error:
            logger.error(
                "export %s: its history entry could not be removed after a failure",
                self.plan.export_id,
                exc_info=error,
            )

    def _fail(self, reason: str) -> None:
        try:
            self.jobs.fail(self.plan.job_id, reason)
        except Conflict as error:
            logger.info("export job %s was already finished: %s", self.plan.job_id, error)

    def _export(self, path: Path) -> None:
        plan = self.plan
        self.jobs.start(plan.job_id)
        self.jobs.progress(plan.job_id, 0.1, "reading the report")
        record = ReportRepository(self.database).get(plan.report_id)
        document = ray.get(report_actor_handle(plan.report_id, self.settings).read.remote())
        project = ProjectRepository(self.database).get(record.project_id)
        self.jobs.progress(plan.job_id, 0.3, f"rendering the {plan.format} file")
        exported = export_report(document, project_data(project), plan.request())
        self.jobs.progress(plan.job_id, 0.9, "storing the checked file")
        _write_atomically(path, exported.data)
        name = file_name(record.title, record.report_month, plan.format)
        ExportRepository(self.database).record(
            NewExport(
                id=plan.export_id,
                report_id=plan.report_id,
                job_id=plan.job_id,
                format=plan.format,
                template_id=plan.template_id,
                template_name=plan.template_name,
                requested_by=plan.requested_by,
                requested_at=plan.requested_at,
                file_name=name,
                content_type=exported.format.content_type,
                size_bytes=len(exported.data),
                sha256=exported.sha256,
                pages=exported.pages,
                options=_options(plan),
            )
        )
        # Part of the export: a failed append fails the job and removes the file.
        AuditRepository(self.database).append(
            [
                export_event(
                    plan.report_id,
                    plan.export_id,
                    plan.requested_by,
                    exported.sha256,
                    {"format": plan.format, "file_name": name, "size_bytes": len(exported.data)},
                )
            ]
        )
        result = {
            "report_id": str(plan.report_id),
            "export_id": str(plan.export_id),
            "file_name": name,
            **exported.summary(),
        }
        self.jobs.complete(plan.job_id, result=result)


def _options(plan: ExportPlan) -> dict[str, Any]:
    return {
        "sections": list(plan.sections) if plan.sections is not None else None,
        "include_charts": plan.include_charts,
        "include_raw_data": plan.include_raw_data,
        "color_scheme": plan.color_scheme,
        "logo": plan.logo_type,
    }


def _partial(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".partial")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write the file under a temporary name and rename it, so no reader sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    partial.write_bytes(data)
    os.replace(partial, path)


@ray.remote(num_cpus=1, max_retries=0)
def run_export(plan: ExportPlan, settings: Settings) -> None:
    """Run one export; failures are recorded on its job."""
    configure_logging(settings)
    with log_context(report_id=plan.report_id, job_id=plan.job_id):
        _ExportRun(plan, settings).run()


def start_export(plan: ExportPlan, settings: Settings) -> ray.ObjectRef[None]:
    """Submit the export as a Ray task; progress is followed through its job."""
    logger.info("report %s export submitted as job %s", plan.report_id, plan.job_id)
    reference: ray.ObjectRef[None] = run_export.remote(plan, settings)
    return reference
