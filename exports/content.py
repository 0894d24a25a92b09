"""The export document: the report's parts, figures, tables and charts in export order.

A template's section list gives the order; the request's ``sections`` option picks from
it and may add the two parts that are not report sections, ``ai_insights`` (the insight
table) and ``charts`` (charts whose own section is not exported).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exports.charts import Chart, report_charts
from exports.errors import OptionsError
from exports.figures import Figure, currency_of, key_figures
from exports.numbers import FigureKind, format_figure
from exports.project_data import ProjectData
from exports.tables import Table, part_tables, raw_tables

EXTRA_PARTS = {"ai_insights": "Insights", "charts": "Charts"}

_METRIC_LABELS = {
    "bac": ("Budget at completion (BAC)", FigureKind.MONEY),
    "pv": ("Planned value (PV)", FigureKind.MONEY),
    "ev": ("Earned value (EV)", FigureKind.MONEY),
    "ac": ("Actual cost (AC)", FigureKind.MONEY),
    "cv": ("Cost variance (CV)", FigureKind.MONEY),
    "sv": ("Schedule variance (SV)", FigureKind.MONEY),
    "eac_cpi": ("Estimate at completion (EAC, CPI)", FigureKind.MONEY),
    "cpi": ("Cost performance index (CPI)", FigureKind.INDEX),
    "spi": ("Schedule performance index (SPI)", FigureKind.INDEX),
    "spi_t": ("Earned schedule SPI(t)", FigureKind.INDEX),
    "tcpi_to_bac": ("To-complete index (TCPI, BAC)", FigureKind.INDEX),
    "cost_performance": ("Cost performance index (CPI)", FigureKind.INDEX),
    "schedule_performance": ("Schedule performance index (SPI)", FigureKind.INDEX),
    "risk_score": ("Risk score", FigureKind.INDEX),
    "budget_utilization": ("Budget utilisation (AC/BAC)", FigureKind.PERCENT),
    "sv_t_months": ("Schedule variance SV(t), months", FigureKind.NUMBER),
    "finish_variance_days": ("Finish variance, working days", FigureKind.NUMBER),
}


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (``items`` empty) or a bulleted list introduced by ``text``."""

    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Part:
    """One exported part: a report section or one of the extra parts."""

    part_id: str
    title: str
    narrative: str
    blocks: tuple[Block, ...]
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]
    charts: tuple[Chart, ...]


@dataclass(frozen=True, slots=True)
class ExportDocument:
    """Everything a renderer prints, already in order and formatted."""

    title: str
    project_name: str
    report_month: str
    data_date: str
    currency: str
    version: int
    generated_at: str
    template_name: str
    headline: tuple[Figure, ...]
    parts: tuple[Part, ...]
    raw_tables: tuple[Table, ...]
    skipped_sections: tuple[str, ...]
    charts_left_out: tuple[str, ...]

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(chart for part in self.parts for chart in part.charts)


def blocks(body: str) -> tuple[Block, ...]:
    """Split a section body into paragraphs and bulleted lists ("- " lines)."""
    result: list[Block] = []
    for line in (line.rstrip() for line in body.splitlines()):
        if line.startswith("- "):
            continues = bool(result) and (bool(result[-1].items) or result[-1].text.endswith(":"))
            if continues:
                last = result.pop()
                result.append(Block(last.text, (*last.items, line[2:].strip())))
            else:
                result.append(Block("", (line[2:].strip(),)))
        elif line.strip():
            result.append(Block(line.strip()))
    return tuple(result)


def section_figures(metrics: Mapping[str, Any], currency: str) -> tuple[Figure, ...]:
    """Return a section's metrics as printed figures; text and flags print as they are."""
    figures = []
    for key, value in metrics.items():
        label, kind = _METRIC_LABELS.get(key, (key.replace("_", " ").capitalize(), None))
        if kind is None or isinstance(value, bool) or not isinstance(value, int | float | None):
            figures.append(Figure(key, label, FigureKind.NUMBER, None, str(value)))
            continue
        figures.append(Figure(key, label, kind, value, format_figure(value, kind, currency)))
    return tuple(figures)


def part_order(
    template_sections: Sequence[str], requested: Sequence[str] | None, available: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Return the parts to export in order and the template sections the report lacks.

    Raises:
        OptionsError: ``requested`` names a part that is neither a report section nor an
            extra part.
    """
    known = set(available) | set(EXTRA_PARTS)
    if requested is not None:
        unknown = [part for part in requested if part not in known]
        if unknown:
            raise OptionsError(
                f"sections {', '.join(unknown)} are not in this report; choose from "
                f"{', '.join([*available, *EXTRA_PARTS])}"
            )
        return list(dict.fromkeys(requested)), []
    ordered = [section for section in template_sections if section in available]
    missing = [section for section in template_sections if section not in known]
    extras = [section for section in template_sections if section in EXTRA_PARTS]
    return list(dict.fromkeys([*ordered, *extras])), missing


def build_document(
    report: Mapping[str, Any],
    project: ProjectData | None,
    *,
    template_name: str,
    template_sections: Sequence[str],
    sections: Sequence[str] | None,
    include_charts: bool,
    include_raw_data: bool,
) -> ExportDocument:
    """Arrange a report document (as the report actor reads it) for export."""
    meta = report.get("meta") or {}
    currency = currency_of(report)
    by_id = {section["section_id"]: section for section in report.get("sections") or []}
    order, missing = part_order(template_sections, sections, list(by_id))
    charts = report_charts(report, project.wbs_costs if project else ()) if include_charts else ()
    homeless = [chart for chart in charts if chart.home not in order]
    if homeless and "charts" not in order:
        order.append("charts")
    parts = [
        _part(part_id, by_id.get(part_id), report, currency, charts, homeless) for part_id in order
    ]
    earned_value = (report.get("metrics") or {}).get("earned_value") or {}
    return ExportDocument(
        title=str(meta.get("title") or "Monthly report"),
        project_name=str(earned_value.get("project_name") or ""),
        report_month=str(meta.get("report_month") or ""),
        data_date=str(earned_value.get("data_date") or "")[:10],
        currency=currency,
        version=int(meta.get("version") or 0),
        generated_at=str(meta.get("generated_at") or ""),
        template_name=template_name,
        headline=key_figures(report),
        parts=tuple(part for part in parts if part is not None),
        raw_tables=raw_tables(report, project, currency) if include_raw_data else (),
        skipped_sections=tuple(missing),
        charts_left_out=() if include_charts else ("charts not requested",),
    )


def _part(
    part_id: str,
    section: Mapping[str, Any] | None,
    report: Mapping[str, Any],
    currency: str,
    charts: Sequence[Chart],
    homeless: Sequence[Chart],
) -> Part | None:
    if part_id in EXTRA_PARTS:
        own = tuple(homeless) if part_id == "charts" else ()
        tables = part_tables(part_id, report, currency)
        if not own and not tables:
            return None
        return Part(part_id, EXTRA_PARTS[part_id], "", (), (), tables, own)
    assert section is not None
    body = str(section.get("body") or "")
    return Part(
        part_id=part_id,
        title=str(section.get("title") or part_id),
        narrative=body,
        blocks=blocks(body),
        figures=section_figures(section.get("metrics") or {}, currency),
        tables=part_tables(part_id, report, currency),
        charts=tuple(chart for chart in charts if chart.home == part_id),
    )


def generated_on(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
