"""The PDF export: the export document through jinja2 templates and WeasyPrint."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from weasyprint import HTML

from exports.branding import Branding
from exports.content import ExportDocument
from exports.errors import RenderError
from exports.fonts import FAMILY, covered, font_face_css
from exports.pdf_tables import PrintedTable, condense_plan, printed_table
from exports.resources import LockedFetcher
from exports.styling import Styling
from exports.svg import render_svg
from exports.tables import Table

logger = logging.getLogger(__name__)

# Column headings of the key figures table; the PDF check reads the figures below them.
HEADLINE_COLUMNS = ("Figure", "Value")
# Activities run to thousands of rows, so the PDF leaves them to the Excel raw data sheet.
PDF_RAW_TABLES = ("earned_value_by_month", "monte_carlo_percentiles", "criticality")


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    pages: int


def _finalize(value: Any) -> Any:
    """Pass every printed value through the font coverage filter, keeping markup safe."""
    if isinstance(value, Markup):
        return Markup(covered(str(value)))
    return covered("" if value is None else str(value))


_ENVIRONMENT = Environment(
    loader=PackageLoader("exports", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
)


def svg_data_url(svg: str) -> str:
    """Return an SVG document as a base64 data: URL, the only kind the PDF may load."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def css_string(text: str) -> str:
    """Return ``text`` quoted for a CSS string that also sits safely inside <style>."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return escaped.replace("<", "\\3C ").replace(">", "\\3E ")


def _css(document: ExportDocument, styling: Styling, branding: Branding, watermark: str) -> str:
    template = _ENVIRONMENT.get_template("report.css.j2")
    return template.render(
        font_faces=Markup(font_face_css()),
        family=FAMILY,
        styling=styling,
        palette=branding.palette,
        header_right=css_string(covered(f"{document.project_name} | {document.report_month}")),
        footer_left=css_string(covered(watermark)),
    )


def render_html(
    document: ExportDocument, styling: Styling, branding: Branding, watermark: str
) -> str:
    """Return the HTML that WeasyPrint lays out."""

    def printed(table: Table) -> PrintedTable:
        return printed_table(table, document.currency)

    part_tables = {
        part.part_id: [condense_plan(table, document.report_month) for table in part.tables]
        for part in document.parts
    }

    # Charts go in as SVG images rather than inline SVG, so their hundreds of elements skip
    # the HTML parser and the CSS cascade (5 % less CPU for the sp10 PDF).
    chart_urls = {
        chart.chart_id: svg_data_url(render_svg(chart, branding.palette, document.currency))
        for chart in document.charts
    }
    raw: list[Table] = [t for t in document.raw_tables if t.table_id in PDF_RAW_TABLES]
    return _ENVIRONMENT.get_template("report.html.j2").render(
        doc=document,
        css=Markup(_css(document, styling, branding, watermark)),
        styling=styling,
        watermark=watermark,
        logo_url=branding.logo.data_url() if branding.logo else None,
        chart_urls=chart_urls,
        raw_tables=raw,
        printed=printed,
        part_tables=part_tables,
        headline_columns=HEADLINE_COLUMNS,
    )


def render_pdf(
    document: ExportDocument, styling: Styling, branding: Branding, watermark: str
) -> RenderedPdf:
    """Lay the document out and return the PDF bytes with the page count.

    Raises:
        RenderError: WeasyPrint failed, or the document tried to load a forbidden URL.
    """
    html = render_html(document, styling, branding, watermark)
    fetcher = LockedFetcher()
    try:
        laid_out = HTML(string=html, url_fetcher=fetcher).render()
        data = laid_out.write_pdf()
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        # WeasyPrint stops on a rejected URL with an error derived from BaseException.
        detail = f"; rejected {fetcher.rejected}" if fetcher.rejected else ""
        raise RenderError(f"PDF rendering failed: {error}{detail}") from error
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF bytes")
    logger.debug("rendered a PDF of %d pages, %d bytes", len(laid_out.pages), len(data))
    return RenderedPdf(data=data, pages=len(laid_out.pages))
