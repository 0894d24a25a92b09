"""Each format read back with its own reader: figures, charts, watermark, structure."""

from __future__ import annotations

import copy
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from exports import ExportFormat, ProjectData, QualityCheckError, export_report
from exports.checks import check_pdf
from exports.figures import key_figures
from exports.numbers import FigureKind, format_figure
from tests.exports.conftest import request

Sample = tuple[dict[str, Any], ProjectData]
WATERMARK = "Exported by pm@example.com on 2025-08-01 09:30 UTC"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# The rendered pages replace the images in docs/images only when this is set to 1.
UPDATE_IMAGES = os.environ.get("PMR_DOC_IMAGES") == "1"


def test_pdf_prints_report_figures_and_charts(sample: Sample) -> None:
    report, project = sample

    exported = export_report(report, project, request(ExportFormat.PDF))

    reader = PdfReader(io.BytesIO(exported.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    cpi = report["metrics"]["key_metrics"]["cost_performance"]
    assert exported.pages == len(reader.pages)
    assert f"Cost performance index (CPI) {cpi:.4f}" in text
    assert (
        format_figure(report["metrics"]["earned_value"]["metrics"]["bac"], FigureKind.MONEY, "GBP")
        in text
    )
    assert "Page 1 of" in text
    assert WATERMARK in text
    assert {c.chart_id for c in exported.document.charts} >= {
        "ev_s_curve",
        "performance_trend",
        "cost_histogram",
        "cost_s_curve",
        "cost_by_wbs",
    }
    assert reader.metadata is not None
    assert reader.metadata.title == report["meta"]["title"]


def test_pdf_embeds_only_the_shipped_font(sample: Sample) -> None:
    report, project = sample

    exported = export_report(report, project, request(ExportFormat.PDF))

    fonts = set()
    for page in PdfReader(io.BytesIO(exported.data)).pages:
        resources: Any = page["/Resources"]["/Font"]  # type: ignore[index]
        fonts |= {
            str(resources[name].get_object()["/BaseFont"]).split("+")[-1] for name in resources
        }
    assert fonts == {"PMR-Sans", "PMR-Sans-Bold"}


def test_pdf_first_page_renders_to_png(sample: Sample, tmp_path: Path) -> None:
    binary = shutil.which("pdftoppm")
    assert binary is not None, "pdftoppm (poppler-utils) is installed by .ci/run"
    report, project = sample
    exported = export_report(report, project, request(ExportFormat.PDF))
    source = tmp_path / "report.pdf"
    source.write_bytes(exported.data)

    subprocess.run(
        [binary, "-png", "-r", "60", "-f", "1", "-l", "3", str(source), str(tmp_path / "page")],
        check=True,
    )

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    if UPDATE_IMAGES:
        for number, page in enumerate(pages, start=1):
            shutil.copy(page, IMAGES / f"export-pdf-page-{number}.png")
    assert pages[0].stat().st_size > 5_000


def test_excel_holds_numbers_formats_and_charts(sample: Sample) -> None:
    report, project = sample

    exported = export_report(report, project, request(ExportFormat.EXCEL))

    book = load_workbook(io.BytesIO(exported.data))
    summary = book["Summary"]
    rows = {row[0].value: row[1] for row in summary.iter_rows(min_col=1, max_col=2)}
    bac = rows["Budget at completion (BAC)"]
    assert bac.value == pytest.approx(
        report["metrics"]["earned_value"]["metrics"]["bac"], rel=1e-15
    )
    assert "£" in bac.number_format
    assert (
        rows["Cost performance index (CPI)"].value
        == report["metrics"]["key_metrics"]["cost_performance"]
    )
    assert summary.freeze_panes is not None
    assert {"Activities", "Earned value by month"} <= set(book.sheetnames)
    activities = book["Activities"]
    assert activities.max_row == len(project.activities) + 1
    assert activities.freeze_panes == "A2"
    sheets: list[Any] = list(book.worksheets)
    assert sum(len(sheet._charts) for sheet in sheets) == len(exported.document.charts)
    assert book.properties.description == WATERMARK
    assert all(sheet.oddHeader.center.text == WATERMARK for sheet in sheets)


def test_excel_drops_characters_xml_cannot_hold(sample: Sample) -> None:
    report, project = sample
    edited = copy.deepcopy(report)
    section = edited["sections"][0]
    section["title"] = "Summary\ufffe\x00 of July"
    section["body"] = "Costs\uffff are\x1b on plan."

    exported = export_report(edited, project, request(ExportFormat.EXCEL))

    book = load_workbook(io.BytesIO(exported.data))
    sheet = book["Summary of July"]
    assert sheet["A1"].value == "Summary of July"
    assert sheet["A3"].value == "Costs are on plan."


def test_slides_have_native_charts_and_notes(sample: Sample) -> None:
    report, project = sample

    exported = export_report(report, project, request(ExportFormat.SLIDES))

    deck: Any = Presentation(io.BytesIO(exported.data))
    slides = list(deck.slides)
    charts = [shape.chart for slide in slides for shape in slide.shapes if shape.has_chart]
    part_titles = [part.title for part in exported.document.parts]
    titled = [slide.shapes.title.text for slide in slides if slide.shapes.title is not None]
    assert len(charts) == len(exported.document.charts)
    assert all(len(list(chart.plots[0].series[0].values)) > 1 for chart in charts)
    assert set(part_titles) <= set(titled)
    executive = next(
        s
        for s in slides
        if s.shapes.title is not None and s.shapes.title.text == "Executive Summary"
    )
    assert executive.notes_slide.notes_text_frame.text.startswith(
        report["sections"][0]["body"][:40]
    )
    assert all(any(shape.name == "Watermark" for shape in slide.shapes) for slide in slides)


def test_sections_option_limits_parts(sample: Sample) -> None:
    report, project = sample

    exported = export_report(
        report,
        project,
        request(ExportFormat.PDF, sections=("executive_summary", "ai_insights", "charts")),
    )

    assert [part.part_id for part in exported.document.parts] == [
        "executive_summary",
        "ai_insights",
        "charts",
    ]
    assert exported.document.parts[2].charts


def test_pdf_check_rejects_a_wrong_figure(sample: Sample) -> None:
    report, project = sample
    exported = export_report(report, project, request(ExportFormat.PDF))
    tampered = {
        **report,
        "metrics": {
            **report["metrics"],
            "key_metrics": {**report["metrics"]["key_metrics"], "cost_performance": 0.5},
        },
    }
    document = exported.document
    wrong = type(document)(
        **{
            **{f: getattr(document, f) for f in document.__dataclass_fields__},
            "headline": key_figures(tampered),
        }
    )

    with pytest.raises(QualityCheckError, match=r"Cost performance index \(CPI\) reads"):
        check_pdf(exported.data, wrong, WATERMARK)


def test_pdf_check_ignores_a_title_starting_with_a_label(sample: Sample) -> None:
    report, project = sample
    titled = {**report, "meta": {**report["meta"], "title": "Risk score review for July"}}

    exported = export_report(titled, project, request(ExportFormat.PDF))

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(exported.data)).pages)
    assert "Risk score review for July" in text
    assert exported.checks.figures_checked == len(exported.document.headline)
