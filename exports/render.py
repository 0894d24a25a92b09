"""One export from start to finish: arrange, render, check, and hand back the file."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from exports.branding import Branding
from exports.checks import CheckReport, check_excel, check_pdf, check_slides
from exports.content import ExportDocument, build_document
from exports.excel import render_excel
from exports.pdf import render_pdf
from exports.project_data import ProjectData
from exports.slides import render_slides
from exports.styling import Styling

logger = logging.getLogger(__name__)


class ExportFormat(StrEnum):
    PDF = "pdf"
    EXCEL = "excel"
    SLIDES = "slides"

    @property
    def extension(self) -> str:
        return {"pdf": "pdf", "excel": "xlsx", "slides": "pptx"}[self.value]

    @property
    def content_type(self) -> str:
        return {
            "pdf": "application/pdf",
            "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "slides": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }[self.value]


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export and how; plain values, so it crosses process boundaries."""

    format: ExportFormat
    template_name: str
    template_sections: tuple[str, ...]
    styling: Styling
    branding: Branding
    sections: tuple[str, ...] | None
    include_charts: bool
    include_raw_data: bool
    exported_by: str
    exported_at: datetime

    @property
    def watermark(self) -> str:
        moment = self.exported_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"Exported by {self.exported_by} on {moment}"


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A rendered file that passed its checks."""

    data: bytes
    format: ExportFormat
    sha256: str
    pages: int | None
    checks: CheckReport
    document: ExportDocument
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format.value,
            "size_bytes": len(self.data),
            "sha256": self.sha256,
            "pages": self.pages,
            "checks": self.checks.as_dict(),
            "charts": [chart.chart_id for chart in self.document.charts],
            "parts": [part.part_id for part in self.document.parts],
            "skipped_sections": list(self.document.skipped_sections),
            "render_seconds": round(self.seconds, 3),
        }


def _render(request: ExportRequest, document: ExportDocument) -> tuple[bytes, CheckReport]:
    watermark = request.watermark
    if request.format is ExportFormat.PDF:
        pdf = render_pdf(document, request.styling, request.branding, watermark)
        return pdf.data, check_pdf(pdf.data, document, watermark)
    if request.format is ExportFormat.EXCEL:
        data = render_excel(document, request.branding, watermark)
        return data, check_excel(data, document, watermark)
    data = render_slides(document, request.branding, watermark)
    return data, check_slides(data, document, watermark)


def export_report(
    report: Mapping[str, Any], project: ProjectData | None, request: ExportRequest
) -> ExportFile:
    """Render a report document in the requested format and check the file.

    Raises:
        OptionsError: the requested sections do not fit the report.
        RenderError: the renderer failed.
        QualityCheckError: the file does not carry the report's figures or charts.
    """
    started = time.perf_counter()
    document = build_document(
        report,
        project,
        template_name=request.template_name,
        template_sections=request.template_sections,
        sections=request.sections,
        include_charts=request.include_charts,
        include_raw_data=request.include_raw_data,
    )
    data, checks = _render(request, document)
    seconds = time.perf_counter() - started
    logger.info(
        "exported %s of %d bytes in %.2f s (%d figures and %d charts checked)",
        request.format.value,
        len(data),
        seconds,
        checks.figures_checked,
        checks.charts_checked,
    )
    return ExportFile(
        data=data,
        format=request.format,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=checks.pages,
        checks=checks,
        document=document,
        seconds=seconds,
    )


def section_ids(sections: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(section["section_id"]) for section in sections)
