"""The slides export: a title slide, key figures, a slide per part and per chart.

Charts are native PowerPoint charts, so a committee can restyle them; each part's
narrative goes into the speaker notes. Every slide carries the watermark as visible text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Emu, Inches, Length, Pt

from exports.branding import Branding
from exports.charts import Chart, ChartKind
from exports.content import ExportDocument, Part
from exports.figures import Figure
from exports.fonts import covered

WIDTH = Inches(13.333)
HEIGHT = Inches(7.5)
# Rows of section metrics on a part slide; the rest stay in the PDF and the workbook.
MAX_PART_FIGURES = 10
WATERMARK_SHAPE = "Watermark"
FIGURES_SHAPE = "Key figures"
_NATIVE_KIND = {
    ChartKind.LINE: XL_CHART_TYPE.LINE,
    ChartKind.COLUMN: XL_CHART_TYPE.COLUMN_CLUSTERED,
    ChartKind.BAR: XL_CHART_TYPE.BAR_CLUSTERED,
}
_BLANK, _TITLE_ONLY, _TITLE = 6, 5, 0


def _emu(value: float) -> Length:
    return Emu(int(value))


def _rgb(colour: str) -> RGBColor:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return RGBColor(red, green, blue)  # type: ignore[no-untyped-call]


class _Deck:
    def __init__(self, document: ExportDocument, branding: Branding, watermark: str) -> None:
        self.document = document
        self.branding = branding
        self.watermark = watermark
        self.deck: Any = Presentation()
        self.deck.slide_width, self.deck.slide_height = WIDTH, HEIGHT

    def slide(self, title: str, layout: int = _TITLE_ONLY) -> Any:
        slide: Any = self.deck.slides.add_slide(self.deck.slide_layouts[layout])
        if slide.shapes.title is not None:
            slide.shapes.title.text = covered(title)
            slide.shapes.title.left, slide.shapes.title.top = Inches(0.5), Inches(0.3)
            slide.shapes.title.width = _emu(WIDTH - Inches(1))
            slide.shapes.title.height = Inches(0.9)
            for paragraph in slide.shapes.title.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(28)
                    run.font.color.rgb = _rgb(self.branding.palette.primary)
        self._stamp(slide)
        return slide

    def _stamp(self, slide: Any) -> None:
        box = slide.shapes.add_textbox(
            Inches(0.5), _emu(HEIGHT - Inches(0.45)), _emu(WIDTH - Inches(1)), Inches(0.35)
        )
        box.name = WATERMARK_SHAPE
        paragraph = box.text_frame.paragraphs[0]
        paragraph.text = covered(self.watermark)
        paragraph.runs[0].font.size = Pt(10)
        paragraph.runs[0].font.color.rgb = _rgb(self.branding.palette.muted)

    def title_slide(self) -> None:
        document = self.document
        slide = self.slide(document.title, _TITLE)
        subtitle = slide.placeholders[1]
        subtitle.text = covered(
            f"{document.project_name}\nReporting month {document.report_month}, data date "
            f"{document.data_date}"
        )
        logo = self.branding.logo
        # NOTE: an SVG logo appears in the PDF only, because python-pptx places raster images.
        if logo is not None and logo.is_raster:
            slide.shapes.add_picture(
                io.BytesIO(logo.data), Inches(0.5), Inches(0.4), height=Inches(0.9)
            )

    def figures(self, slide: Any, figures: Sequence[Figure], top: Length, width: Length) -> None:
        rows = len(figures) + 1
        height = _emu(Inches(0.3) * rows)
        shape = slide.shapes.add_table(rows, 2, Inches(0.5), top, width, height)
        shape.name = FIGURES_SHAPE
        table = shape.table
        table.columns[0].width = _emu(width * 0.62)
        table.columns[1].width = _emu(width - int(width * 0.62))
        for column, text in enumerate(("Figure", "Value")):
            table.cell(0, column).text = text
        for row, figure in enumerate(figures, start=1):
            table.cell(row, 0).text = covered(figure.label)
            table.cell(row, 1).text = covered(figure.text)
        for row in range(rows):
            for column in range(2):
                for paragraph in table.cell(row, column).text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(11 if rows <= 12 else 9)

    def part(self, part: Part) -> None:
        slide = self.slide(part.title)
        figures = part.figures[:MAX_PART_FIGURES]
        if figures:
            self.figures(slide, figures, Inches(1.3), Inches(6))
        lead = next((block.text for block in part.blocks if block.text), "")
        if lead:
            left = Inches(6.9) if figures else Inches(0.5)
            box = slide.shapes.add_textbox(
                left, Inches(1.3), _emu(WIDTH - left - Inches(0.5)), Inches(5)
            )
            box.text_frame.word_wrap = True
            box.text_frame.text = covered(lead)
            for paragraph in box.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(16)
        notes = part.narrative or "\n".join(table.title for table in part.tables)
        _notes(slide, notes)
        for chart in part.charts:
            self.chart(chart, part)

    def chart(self, chart: Chart, part: Part) -> None:
        slide = self.slide(chart.title)
        data: Any = CategoryChartData()  # type: ignore[no-untyped-call]
        data.categories = [covered(category) for category in chart.categories]
        for series in chart.series:
            data.add_series(covered(series.name), series.values)
        frame: Any = slide.shapes.add_chart(
            _NATIVE_KIND[chart.kind],
            Inches(0.5),
            Inches(1.3),
            _emu(WIDTH - Inches(1)),
            Inches(5.4),
            data,
        )
        native = frame.chart
        native.has_legend = len(chart.series) > 1
        if native.has_legend:
            native.legend.position = XL_LEGEND_POSITION.TOP
            native.legend.include_in_layout = False
        for index, plot_series in enumerate(native.plots[0].series):
            colour = _rgb(self.branding.palette.series[index % len(self.branding.palette.series)])
            if chart.kind is ChartKind.LINE:
                plot_series.format.line.color.rgb = colour
                plot_series.smooth = False
            else:
                plot_series.format.fill.solid()
                plot_series.format.fill.fore_color.rgb = colour
        markers = "; ".join(marker.described(chart.categories) for marker in chart.markers)
        notes = f"{chart.title}. Part: {part.title}."
        _notes(slide, f"{notes} {markers}" if markers else notes)
        if markers:
            box = slide.shapes.add_textbox(
                Inches(0.5), Inches(6.65), _emu(WIDTH - Inches(1)), Inches(0.35)
            )
            box.text_frame.text = covered(f"Marked: {markers}")
            box.text_frame.paragraphs[0].runs[0].font.size = Pt(12)


def _notes(slide: Any, text: str) -> None:
    frame = slide.notes_slide.notes_text_frame
    if frame is not None:
        frame.text = covered(text)


def render_slides(document: ExportDocument, branding: Branding, watermark: str) -> bytes:
    """Return the presentation as .pptx bytes."""
    deck = _Deck(document, branding, watermark)
    deck.title_slide()
    figures_slide = deck.slide("Key figures")
    deck.figures(figures_slide, document.headline, Inches(1.2), Inches(9))
    for part in document.parts:
        deck.part(part)
    properties = deck.deck.core_properties
    properties.title = covered(document.title)[:255]
    properties.author = "Enhanced PMR"
    properties.comments = covered(watermark)
    properties.keywords = "project monthly report"
    output = io.BytesIO()
    deck.deck.save(output)
    return output.getvalue()
