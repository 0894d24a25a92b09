"""Checks a produced file passes before it is released, each reading the file back.

The PDF is read with pypdf, the workbook with openpyxl and the slides with python-pptx.
Every headline figure is found by its label, parsed and compared with the report's
value; every chart must be present and hold data; the page count must be sane.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from exports.content import ExportDocument
from exports.errors import QualityCheckError
from exports.excel import SUMMARY_SHEET
from exports.figures import Figure
from exports.numbers import FigureKind, parse_figure, same_figure
from exports.pdf import HEADLINE_COLUMNS
from exports.slides import FIGURES_SHAPE, WATERMARK_SHAPE

# A PDF over this many pages means a layout loop or a runaway table, not a report.
MAX_PDF_PAGES = 400


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What the checks verified: figures compared, charts found, pages or slides counted."""

    figures_checked: int
    charts_checked: int
    pages: int | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "figures_checked": self.figures_checked,
            "charts_checked": self.charts_checked,
            "pages": self.pages,
            "notes": list(self.notes),
        }


def _fail(problems: list[str], what: str) -> None:
    if problems:
        raise QualityCheckError(f"the {what} failed its checks: " + "; ".join(problems[:10]))


def compare(figure: Figure, printed: str | None) -> str | None:
    """Return a problem when a printed figure is missing or differs from the report's."""
    if printed is None:
        return f"{figure.label} is not printed"
    try:
        value = parse_figure(printed, figure.kind)
    except ValueError:
        return f"{figure.label} reads {printed!r}, which is not a {figure.kind.value}"
    if not same_figure(value, figure.value, figure.kind):
        return f"{figure.label} reads {printed!r} but the report has {figure.value!r}"
    return None


def _empty_charts(document: ExportDocument) -> list[str]:
    return [
        f"chart {chart.chart_id} has no data" for chart in document.charts if not chart.point_count
    ]


def check_pdf(data: bytes, document: ExportDocument, watermark: str) -> CheckReport:
    """Read the PDF back and check figures, chart captions, watermark and page count."""
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    raw = pdf_text(data, reader)
    text = "\n".join(" ".join(line.split()) for line in raw.splitlines())
    table = _headline_rows(raw)
    problems = [
        problem
        for figure in document.headline
        if (problem := compare(figure, _printed_after(table, figure.label))) is not None
    ]
    problems += _empty_charts(document)
    problems += [
        f"chart {chart.chart_id} is missing from the PDF"
        for chart in document.charts
        if " ".join(chart.title.split()) not in text
    ]
    if " ".join(watermark.split()) not in text:
        problems.append("the watermark is missing")
    minimum = 1 + len(document.parts)
    if not minimum <= pages <= MAX_PDF_PAGES:
        problems.append(f"the PDF has {pages} pages; expected {minimum} to {MAX_PDF_PAGES}")
    _fail(problems, "PDF")
    return CheckReport(len(document.headline), len(document.charts), pages)


def pdf_text(data: bytes, reader: PdfReader) -> str:
    """Return the PDF's text in drawing order: pdftotext when installed, else pypdf.

    pdftotext (poppler-utils) reads a 20-page report in well under a second, while
    pypdf's layout mode takes several seconds, so the slower reader is the fallback. Raw
    mode keeps a table row on one line even where the rotated watermark crosses it.
    """
    binary = shutil.which("pdftotext")
    if binary is not None:
        completed = subprocess.run(
            [binary, "-raw", "-enc", "UTF-8", "-", "-"],
            input=data,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if completed.returncode == 0:
            return completed.stdout.decode("utf-8", errors="replace")
    # Form feeds separate pages, as in pdftotext's output.
    return "\f".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


def _headline_rows(text: str) -> list[str]:
    """Return the lines below the key figures table's heading row, page by page.

    Only these lines are searched, so a title or a narrative line that starts with a
    figure's label (a report called "Risk score review", say) is not read as the figure.
    """
    heading = " ".join(HEADLINE_COLUMNS)
    rows: list[str] = []
    for page in text.split("\f"):
        lines = [" ".join(line.split()) for line in page.splitlines()]
        if heading in lines:
            rows += lines[lines.index(heading) + 1 :]
    return rows


def _printed_after(lines: Iterable[str], label: str) -> str | None:
    """Return the text after ``label`` on the first line that starts with it."""
    pattern = re.compile(rf"^{re.escape(label)}\s+(?P<value>\S.*)$")
    for line in lines:
        match = pattern.match(line)
        if match:
            return match.group("value").strip()
    return None


def _cell_text(value: Any, kind: FigureKind) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str):
        return value
    return repr(float(value))


def _excel_problem(figure: Figure, value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if figure.value is None or isinstance(figure.value, str):
            return f"{figure.label} holds {value!r} but the report has {figure.value!r}"
        # openpyxl writes 16 significant digits, so the last bit of a double may differ.
        if not math.isclose(float(value), float(figure.value), rel_tol=1e-14, abs_tol=1e-9):
            return f"{figure.label} holds {value!r} but the report has {figure.value!r}"
        return None
    return compare(figure, _cell_text(value, figure.kind))


def check_excel(data: bytes, document: ExportDocument, watermark: str) -> CheckReport:
    """Read the workbook back and check figure cells, charts and the watermark."""
    book = load_workbook(io.BytesIO(data))
    summary = book[SUMMARY_SHEET]
    cells = {
        str(row[0].value): row[1].value
        for row in summary.iter_rows(min_col=1, max_col=2)
        if row[0].value is not None
    }
    problems = []
    for figure in document.headline:
        if figure.label not in cells:
            problems.append(f"{figure.label} is not on the summary sheet")
        elif (problem := _excel_problem(figure, cells[figure.label])) is not None:
            problems.append(problem)
    problems += _empty_charts(document)
    # openpyxl reads charts back into the private list it writes them from.
    charts = [chart for sheet in book.worksheets for chart in getattr(sheet, "_charts", [])]
    if len(charts) != len(document.charts):
        problems.append(f"the workbook has {len(charts)} charts; expected {len(document.charts)}")
    for sheet in book.worksheets:
        header = sheet.oddHeader.center.text if sheet.oddHeader and sheet.oddHeader.center else ""
        if header != watermark:
            problems.append(f"sheet {sheet.title!r} lacks the watermark header")
    if book.properties.description != watermark:
        problems.append("the document properties lack the watermark")
    _fail(problems, "workbook")
    return CheckReport(len(document.headline), len(charts), len(book.worksheets))


def _table_rows(shape: Any) -> Mapping[str, str]:
    table = shape.table
    return {table.cell(row, 0).text: table.cell(row, 1).text for row in range(1, len(table.rows))}


def check_slides(data: bytes, document: ExportDocument, watermark: str) -> CheckReport:
    """Read the deck back and check the key figures table, charts, notes and watermark."""
    deck: Any = Presentation(io.BytesIO(data))
    slides = list(deck.slides)
    problems = []
    headline = (
        next((shape for shape in slides[1].shapes if shape.name == FIGURES_SHAPE), None)
        if len(slides) > 1
        else None
    )
    rows = _table_rows(headline) if headline is not None else {}
    for figure in document.headline:
        if (problem := compare(figure, rows.get(figure.label))) is not None:
            problems.append(problem)
    charts = [shape.chart for slide in slides for shape in slide.shapes if shape.has_chart]
    if len(charts) != len(document.charts):
        problems.append(f"the deck has {len(charts)} charts; expected {len(document.charts)}")
    for number, chart in enumerate(charts, start=1):
        values = [v for series in chart.plots[0].series for v in series.values if v is not None]
        if not values:
            problems.append(f"chart {number} of the deck has no data")
    for number, slide in enumerate(slides, start=1):
        marks = [
            s for s in slide.shapes if s.name == WATERMARK_SHAPE and s.text_frame.text == watermark
        ]
        if not marks:
            problems.append(f"slide {number} lacks the watermark")
    expected = 2 + len(document.parts) + len(document.charts)
    if len(slides) != expected:
        problems.append(f"the deck has {len(slides)} slides; expected {expected}")
    _fail(problems, "slide deck")
    return CheckReport(len(document.headline), len(charts), len(slides))
