"""The Excel export: a summary sheet, a sheet per part, raw data sheets, native charts.

Numbers are written as numbers with number formats, never as text, so controllers can
compute with them. Text is cleaned of characters the file format cannot hold and is
forced to be a string, so a cell starting with '=' is never read as a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports.branding import Branding
from exports.charts import Chart, ChartKind
from exports.content import ExportDocument, Part
from exports.figures import Figure
from exports.numbers import FigureKind, excel_format
from exports.tables import DATETIME, FLAG, INTEGER, TEXT, Table

MAX_CELL_CHARS = 32_767
SUMMARY_SHEET = "Summary"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel's limit on the length of a sheet name.
_SHEET_NAME_LIMIT = 31
# Code points outside XML 1.0's Char production that openpyxl's ILLEGAL_CHARACTERS_RE keeps:
# the noncharacters U+FFFE and U+FFFF, and surrogates. lxml raises ValueError on any of them.
_NOT_XML_CHARACTERS = re.compile("[\ufffe\uffff\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Return text an .xlsx cell can hold: no control characters, at most 32,767 characters."""
    text = _NOT_XML_CHARACTERS.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def naive(moment: datetime) -> datetime:
    """Return a datetime Excel can store: UTC for aware values, the time zone dropped."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _put(sheet: Worksheet, row: int, column: int, value: Any, kind: str, currency: str) -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    if kind in (TEXT, FLAG) or (isinstance(value, str) and kind != FigureKind.DATE.value):
        cell.value = clean_text("yes" if value is True else "no" if value is False else str(value))
        cell.data_type = "s"
        return
    if kind in (DATETIME, FigureKind.DATE.value):
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        cell.value = naive(value) if isinstance(value, datetime) else value
        cell.number_format = "yyyy-mm-dd"
        return
    cell.value = int(value) if kind == INTEGER else float(value)
    cell.number_format = "#,##0" if kind == INTEGER else excel_format(FigureKind(kind), currency)


class _Writer:
    def __init__(self, document: ExportDocument, branding: Branding, watermark: str) -> None:
        self.document = document
        self.branding = branding
        self.watermark = watermark
        self.book = Workbook()
        self.header_fill = PatternFill("solid", fgColor=branding.palette.primary)
        self.names: set[str] = set()

    def sheet(self, title: str) -> Worksheet:
        base = sheet_name(title)
        name, number = base, 2
        while name.lower() in self.names:
            suffix = f" ({number})"
            name, number = base[: _SHEET_NAME_LIMIT - len(suffix)] + suffix, number + 1
        self.names.add(name.lower())
        sheet: Worksheet = self.book.create_sheet(name)
        _stamp(sheet, self.watermark)
        return sheet

    def header(self, sheet: Worksheet, row: int, columns: Sequence[str]) -> None:
        for index, name in enumerate(columns, start=1):
            cell = sheet.cell(row=row, column=index, value=clean_text(name))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = self.header_fill

    def figures(self, sheet: Worksheet, row: int, figures: Sequence[Figure], title: str) -> int:
        self.header(sheet, row, (title, "Value"))
        for offset, figure in enumerate(figures, start=1):
            _put(sheet, row + offset, 1, figure.label, TEXT, self.document.currency)
            value = figure.value if figure.value is not None else None
            kind = (
                figure.kind.value
                if not isinstance(value, str) or figure.kind is FigureKind.DATE
                else TEXT
            )
            if value is None:
                _put(sheet, row + offset, 2, figure.text, TEXT, self.document.currency)
            else:
                _put(sheet, row + offset, 2, value, kind, self.document.currency)
        return row + len(figures) + 2

    def table(self, sheet: Worksheet, row: int, table: Table) -> int:
        sheet.cell(row=row, column=1, value=clean_text(table.title)).font = Font(bold=True)
        self.header(sheet, row + 1, table.columns)
        for number, values in enumerate(table.rows, start=row + 2):
            for column, (value, kind) in enumerate(zip(values, table.kinds, strict=True), 1):
                _put(sheet, number, column, value, kind, self.document.currency)
        return row + len(table.rows) + 3

    def chart(self, sheet: Worksheet, row: int, chart: Chart) -> int:
        """Write the chart's data block at ``row`` and a native chart beside it."""
        self.header(sheet, row, ("Category", *(series.name for series in chart.series)))
        for index, category in enumerate(chart.categories, start=row + 1):
            _put(sheet, index, 1, category, TEXT, self.document.currency)
            for column, series in enumerate(chart.series, start=2):
                _put(
                    sheet,
                    index,
                    column,
                    series.values[index - row - 1],
                    chart.value_kind.value,
                    self.document.currency,
                )
        last = row + len(chart.categories)
        native = _native_chart(chart)
        data = Reference(
            sheet, min_col=2, max_col=1 + len(chart.series), min_row=row, max_row=last
        )
        native.add_data(data, titles_from_data=True)
        native.set_categories(Reference(sheet, min_col=1, min_row=row + 1, max_row=last))
        for index, series in enumerate(native.series):
            colour = self.branding.palette.series[index % len(self.branding.palette.series)]
            series.graphicalProperties.line.solidFill = colour
            if chart.kind is not ChartKind.LINE:
                series.graphicalProperties.solidFill = colour
        sheet.add_chart(native, f"{get_column_letter(len(chart.series) + 3)}{row}")
        return max(last, row + 18) + 2

    def part(self, part: Part) -> None:
        sheet = self.sheet(part.title)
        sheet.column_dimensions["A"].width = 60
        sheet.column_dimensions["B"].width = 20
        sheet.cell(row=1, column=1, value=clean_text(part.title)).font = Font(bold=True, size=14)
        row = 3
        for block in part.blocks:
            for line in ([block.text] if block.text else []) + [f"• {i}" for i in block.items]:
                cell = sheet.cell(row=row, column=1, value=clean_text(line))
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                row += 1
        row += 1
        if part.figures:
            row = self.figures(sheet, row, part.figures, "Metric")
        for table in part.tables:
            row = self.table(sheet, row, table)
        for chart in part.charts:
            sheet.cell(row=row, column=1, value=clean_text(chart.title)).font = Font(bold=True)
            row = self.chart(sheet, row + 1, chart)

    def summary(self) -> None:
        sheet = self.book.active
        assert sheet is not None
        sheet.title = SUMMARY_SHEET
        self.names.add(SUMMARY_SHEET.lower())
        _stamp(sheet, self.watermark)
        document = self.document
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 24
        sheet.cell(row=1, column=1, value=clean_text(document.title)).font = Font(
            bold=True, size=14
        )
        facts = (
            ("Project", document.project_name),
            ("Reporting month", document.report_month),
            ("Data date", document.data_date),
            ("Report version", str(document.version)),
            ("Template", document.template_name),
            ("Exported", self.watermark),
        )
        for row, (label, value) in enumerate(facts, start=2):
            _put(sheet, row, 1, label, TEXT, document.currency)
            _put(sheet, row, 2, value, TEXT, document.currency)
        start = len(facts) + 3
        self.figures(sheet, start, document.headline, "Figure")
        sheet.freeze_panes = f"A{start + 1}"
        logo = self.branding.logo
        # NOTE: an SVG logo appears in the PDF only, because .xlsx embeds raster images.
        if logo is not None and logo.is_raster:
            image = SheetImage(io.BytesIO(logo.data))
            scale = min(1.0, 60 / max(image.height, 1))
            image.width, image.height = round(image.width * scale), round(image.height * scale)
            sheet.add_image(image, "D1")

    def raw(self, table: Table) -> None:
        sheet = self.sheet(table.title.split(":")[0])
        self.header(sheet, 1, table.columns)
        for number, values in enumerate(table.rows, start=2):
            for column, (value, kind) in enumerate(zip(values, table.kinds, strict=True), 1):
                _put(sheet, number, column, value, kind, self.document.currency)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        for column in range(1, len(table.columns) + 1):
            sheet.column_dimensions[get_column_letter(column)].width = 16

    def properties(self) -> None:
        props = self.book.properties
        props.title = clean_text(self.document.title)
        props.subject = clean_text(f"{self.document.project_name} {self.document.report_month}")
        props.creator = "Enhanced PMR"
        props.description = clean_text(self.watermark)
        props.keywords = clean_text(f"project monthly report; {self.watermark}")
        props.created = props.modified = naive(datetime.now(UTC))


def _stamp(sheet: Worksheet, watermark: str) -> None:
    """Print the watermark in the page header of a sheet, with page numbers below."""
    header, footer = sheet.oddHeader, sheet.oddFooter
    if header is not None and header.center is not None:
        header.center.text = clean_text(watermark)
    if footer is not None and footer.right is not None:
        footer.right.text = "Page &P of &N"


def _native_chart(chart: Chart) -> LineChart | BarChart:
    native: LineChart | BarChart
    if chart.kind is ChartKind.LINE:
        native = LineChart()
    else:
        native = BarChart()
        native.type = "bar" if chart.kind is ChartKind.BAR else "col"
        native.gapWidth = 10 if chart.kind is ChartKind.COLUMN else 60
    markers = ", ".join(marker.described(chart.categories) for marker in chart.markers)
    native.title = clean_text(f"{chart.title} ({markers})" if markers else chart.title)
    native.y_axis.title = clean_text(chart.y_title)
    native.height, native.width = 8.5, 18
    return native


def sheet_name(title: str) -> str:
    """Return ``title`` as an Excel sheet name: allowed characters, at most 31 of them.

    A longer title ends at the last whole word that fits, so no name stops mid-word.
    """
    text = " ".join(_SHEET_FORBIDDEN.sub(" ", clean_text(title)).split())
    if len(text) > _SHEET_NAME_LIMIT:
        cut = text[: _SHEET_NAME_LIMIT + 1].rsplit(" ", 1)[0]
        text = cut if len(cut) <= _SHEET_NAME_LIMIT else text[:_SHEET_NAME_LIMIT]
        text = text.rstrip(" -([{")
    return text or "Sheet"


def render_excel(document: ExportDocument, branding: Branding, watermark: str) -> bytes:
    """Return the workbook as .xlsx bytes."""
    writer = _Writer(document, branding, watermark)
    writer.summary()
    for part in document.parts:
        writer.part(part)
    for table in document.raw_tables:
        writer.raw(table)
    writer.properties()
    output = io.BytesIO()
    writer.book.save(output)
    return output.getvalue()
