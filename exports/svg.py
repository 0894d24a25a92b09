"""Charts drawn as inline SVG for the PDF: line, column and horizontal bar charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from exports.charts import Chart, ChartKind
from exports.numbers import FigureKind, compact_money
from exports.palettes import Palette

WIDTH = 680
HEIGHT = 300
_TOP = 34
_BOTTOM = 46
_RIGHT = 16
_MAX_X_LABELS = 10
FONT = "PMR Sans"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values covering ``low`` to ``high``, zero included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def axis_label(value: float, kind: FigureKind, currency: str) -> str:
    if kind is FigureKind.MONEY:
        return compact_money(value, currency)
    if kind is FigureKind.PERCENT:
        return f"{value * 100:.0f}%"
    if kind is FigureKind.INDEX:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(
        f" {key.replace('_', '-')}={quoteattr(value)}" for key, value in attributes.items()
    )
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


class _Frame:
    """The plot area and the value scale of one chart."""

    def __init__(self, chart: Chart, left: float, horizontal: bool) -> None:
        values = [v for s in chart.series for v in s.values if v is not None and math.isfinite(v)]
        self.ticks = nice_ticks(min(values, default=0.0), max(values, default=1.0))
        self.left, self.right = left, WIDTH - _RIGHT
        self.top, self.bottom = _TOP, HEIGHT - _BOTTOM
        self.horizontal = horizontal

    def value(self, number: float) -> float:
        """Return the pixel of a value along the value axis."""
        low, high = self.ticks[0], self.ticks[-1]
        share = (number - low) / (high - low)
        if self.horizontal:
            return self.left + share * (self.right - self.left)
        return self.bottom - share * (self.bottom - self.top)


def _legend(chart: Chart, palette: Palette) -> list[str]:
    parts, x = [], 70.0
    for index, series in enumerate(chart.series):
        colour = palette.series[index % len(palette.series)]
        parts.append(f'<rect x="{x:.1f}" y="10" width="12" height="12" fill="#{colour}"/>')
        parts.append(_text(x + 16, 20, series.name, font_size="10"))
        x += 28 + 6.2 * len(series.name)
    return parts


def _value_grid(frame: _Frame, chart: Chart, currency: str) -> list[str]:
    parts = []
    for tick in frame.ticks:
        position = frame.value(tick)
        label = axis_label(tick, chart.value_kind, currency)
        if frame.horizontal:
            parts.append(
                f'<line x1="{position:.1f}" y1="{frame.top}" x2="{position:.1f}" '
                f'y2="{frame.bottom}" stroke="#D9D9D9"/>'
            )
            parts.append(
                _text(position, frame.bottom + 14, label, font_size="9", text_anchor="middle")
            )
        else:
            parts.append(
                f'<line x1="{frame.left}" y1="{position:.1f}" x2="{frame.right}" '
                f'y2="{position:.1f}" stroke="#D9D9D9"/>'
            )
            parts.append(
                _text(frame.left - 6, position + 3, label, font_size="9", text_anchor="end")
            )
    return parts


def _category_labels(frame: _Frame, categories: Sequence[str], x_of: list[float]) -> list[str]:
    step = max(1, math.ceil(len(categories) / _MAX_X_LABELS))
    return [
        _text(x_of[i], frame.bottom + 14, categories[i], font_size="9", text_anchor="middle")
        for i in range(0, len(categories), step)
    ]


def _markers(frame: _Frame, chart: Chart, x_at: float, unit: float, palette: Palette) -> list[str]:
    parts = []
    for index, marker in enumerate(chart.markers):
        x = x_at + marker.position * unit
        parts.append(
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.bottom}" '
            f'stroke="#{palette.accent}" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
        parts.append(
            _text(
                x + 3,
                frame.top + 10 + 11 * (index % 3),
                marker.label,
                font_size="9",
                fill=f"#{palette.accent}",
                font_weight="bold",
            )
        )
    return parts


def _line_body(chart: Chart, frame: _Frame, palette: Palette) -> tuple[list[str], list[float]]:
    count = len(chart.categories)
    unit = (frame.right - frame.left) / max(count - 1, 1)
    x_of = [frame.left + i * unit for i in range(count)]
    parts = []
    for index, series in enumerate(chart.series):
        colour = palette.series[index % len(palette.series)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(series.values):
            if value is None or not math.isfinite(value):
                runs.append([])
                continue
            runs[-1].append(f"{x_of[i]:.1f},{frame.value(value):.1f}")
        for run in runs:
            if len(run) == 1:
                x, y = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="#{colour}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="#{colour}" '
                    'stroke-width="2"/>'
                )
    parts += _markers(frame, chart, frame.left, unit, palette)
    return parts, x_of


def _column_body(chart: Chart, frame: _Frame, palette: Palette) -> tuple[list[str], list[float]]:
    count = len(chart.categories)
    unit = (frame.right - frame.left) / max(count, 1)
    groups = len(chart.series)
    parts = []
    zero = frame.value(0.0)
    for index, series in enumerate(chart.series):
        colour = palette.series[index % len(palette.series)]
        for i, value in enumerate(series.values):
            if value is None:
                continue
            x = frame.left + i * unit + 1 + index * (unit - 2) / groups
            top = min(frame.value(value), zero)
            height = abs(frame.value(value) - zero)
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{max((unit - 2) / groups, 0.5):.1f}" '
                f'height="{height:.1f}" fill="#{colour}"/>'
            )
    parts += _markers(frame, chart, frame.left, unit, palette)
    return parts, [frame.left + (i + 0.5) * unit for i in range(count)]


def _bar_body(chart: Chart, frame: _Frame, palette: Palette) -> list[str]:
    count = len(chart.categories)
    unit = (frame.bottom - frame.top) / max(count, 1)
    groups = len(chart.series)
    zero = frame.value(0.0)
    parts = []
    for i, category in enumerate(chart.categories):
        y = frame.top + i * unit
        parts.append(
            _text(frame.left - 6, y + unit / 2 + 3, category, font_size="8.5", text_anchor="end")
        )
        for index, series in enumerate(chart.series):
            value = series.values[i]
            if value is None:
                continue
            colour = palette.series[index % len(palette.series)]
            x = min(frame.value(value), zero)
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2 + index * (unit - 4) / groups:.1f}" '
                f'width="{abs(frame.value(value) - zero):.1f}" '
                f'height="{max((unit - 4) / groups, 0.5):.1f}" fill="#{colour}"/>'
            )
    parts.append(
        f'<line x1="{zero:.1f}" y1="{frame.top}" x2="{zero:.1f}" y2="{frame.bottom}" '
        'stroke="#404040"/>'
    )
    return parts


def render_svg(chart: Chart, palette: Palette, currency: str) -> str:
    """Return ``chart`` as a standalone SVG element."""
    horizontal = chart.kind is ChartKind.BAR
    frame = _Frame(chart, 230.0 if horizontal else 70.0, horizontal)
    parts = _legend(chart, palette) + _value_grid(frame, chart, currency)
    if chart.kind is ChartKind.BAR:
        parts += _bar_body(chart, frame, palette)
    else:
        body, x_of = (
            _line_body(chart, frame, palette)
            if chart.kind is ChartKind.LINE
            else _column_body(chart, frame, palette)
        )
        parts += body + _category_labels(frame, chart.categories, x_of)
        parts.append(
            f'<line x1="{frame.left}" y1="{frame.bottom}" x2="{frame.right}" '
            f'y2="{frame.bottom}" stroke="#404040"/>'
        )
    parts.append(
        _text(
            14,
            frame.top + (frame.bottom - frame.top) / 2,
            chart.y_title,
            font_size="9",
            transform=f"rotate(-90 14 {frame.top + (frame.bottom - frame.top) / 2:.1f})",
            text_anchor="middle",
        )
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family={quoteattr(FONT)} '
        f'fill="#{palette.text}" role="img" aria-label={quoteattr(chart.title)}>'
        f"<title>{escape(chart.title)}</title>" + "".join(parts) + "</svg>"
    )
