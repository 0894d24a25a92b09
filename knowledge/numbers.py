"""Checking that every number in generated text is a figure the analysis computed.

A figure in text matches a computed value when the value, rounded to the precision shown,
gives the figure: "£2.80m" matches 2,801,234 and "5.4 %" matches 0.0541. Signs are ignored,
because prose says "an overrun of £74k" for a cost variance of -74,000. Dates match when the
same calendar day (or, for "November 2025", the same month) was computed. Codes such as
A1320 or COST-1060 are identifiers, not numbers, and are skipped.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+)?(?![\w-])")
_ISO_MONTH = re.compile(r"(?<![\w-])(\d{4})-(\d{2})(?![\w-])")
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\w)(\d{{1,2}})\s+({_MONTH_NAMES})\.?,?\s+(\d{{4}})(?!\w)", re.I
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<!\w)({_MONTH_NAMES})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})(?!\w)", re.I
)
_MONTH_YEAR = re.compile(rf"(?<!\w)({_MONTH_NAMES})\.?\s+(\d{{4}})(?!\w)", re.I)
# An identifier: letters and digits run together, or joined by hyphens and underscores.
_IDENTIFIER = re.compile(r"\b(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[\w]+(?:-[\w]+)*\b")
_NUMBER = re.compile(
    r"(?P<currency>[£$€¥]|\b(?:GBP|USD|EUR|JPY)\s?)?"
    r"(?<![\w.])(?P<sign>[-−+])?(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>\s?(?:bn|m|k)\b)?(?P<percent>\s?(?:%|per\s?cent\b))?",
    re.I,
)
_SCALE = {"k": 1e3, "m": 1e6, "bn": 1e9}
_SCALED_AMOUNT = re.compile(r"\d+(?:k|m|bn)", re.I)


def _hide_identifier(match: re.Match[str]) -> str:
    # "80m" in "£2.80m" is an amount with its scale, not an identifier.
    return match.group(0) if _SCALED_AMOUNT.fullmatch(match.group(0)) else " "


@dataclass(frozen=True, slots=True)
class Figure:
    """A number as it appears in text: its value in the unit shown and its precision."""

    text: str
    value: float
    decimals: int
    kind: str  # money, percent, plain

    @property
    def tolerance(self) -> float:
        # Half a unit of the last digit shown, widened a little for binary floating point.
        return 0.5 * 10.0 ** (-self.decimals) * (1 + 1e-9)


def _strip_dates(text: str) -> tuple[str, list[date], list[tuple[int, int]]]:
    days: list[date] = []
    months: list[tuple[int, int]] = []

    def day(year: str, month: int, number: str) -> str:
        try:
            days.append(date(int(year), month, int(number)))
        except ValueError:
            return f"{year} {month} {number}"  # not a real date: keep its numbers visible
        return " "

    text = _ISO_DATE.sub(lambda m: day(m[1], int(m[2]), m[3]), text)
    text = _DAY_MONTH_YEAR.sub(lambda m: day(m[3], _MONTHS[m[2].lower()], m[1]), text)
    text = _MONTH_DAY_YEAR.sub(lambda m: day(m[3], _MONTHS[m[1].lower()], m[2]), text)

    def month(year: str, number: int) -> str:
        if 1 <= number <= 12:
            months.append((int(year), number))
            return " "
        return f"{year} {number}"

    text = _ISO_MONTH.sub(lambda m: month(m[1], int(m[2])), text)
    text = _MONTH_YEAR.sub(lambda m: month(m[2], _MONTHS[m[1].lower()]), text)
    return text, days, months


def find_figures(text: str) -> tuple[list[Figure], list[date], list[tuple[int, int]]]:
    """Return the numbers, the calendar days and the months written in ``text``."""
    remaining, days, months = _strip_dates(text)
    remaining = _IDENTIFIER.sub(_hide_identifier, remaining)
    figures = []
    for match in _NUMBER.finditer(remaining):
        digits = match["number"].replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        value = float(digits)
        kind = "plain"
        if match["percent"]:
            kind = "percent"
        elif match["currency"] or match["suffix"]:
            kind = "money"
            suffix = (match["suffix"] or "").strip().lower()
            if suffix:
                # "£2.80m" shows millions to two decimals: a precision of 10,000.
                value *= _SCALE[suffix]
                decimals -= round(math.log10(_SCALE[suffix]))
        figures.append(Figure(match.group(0).strip(), value, decimals, kind))
    return figures, days, months


class FigureSet:
    """The values, days and months an analysis computed, against which text is checked."""

    def __init__(self) -> None:
        self._values: list[float] = []
        self._sorted = True
        self._days: set[date] = set()
        self._months: set[tuple[int, int]] = set()

    def add_value(self, value: float) -> None:
        if math.isfinite(value):
            self._values.append(abs(value))
            self._sorted = False

    def add_day(self, day: date) -> None:
        self._days.add(day)
        self._months.add((day.year, day.month))
        self.add_value(float(day.year))

    def add_text(self, text: str) -> None:
        """Add every figure and date written in text the analysis produced."""
        figures, days, months = find_figures(text)
        for figure in figures:
            self.add_value(figure.value / 100 if figure.kind == "percent" else figure.value)
        for day in days:
            self.add_day(day)
        for year, month in months:
            self._months.add((year, month))
            self.add_value(float(year))

    def add_data(self, data: Any, *, skip: Iterable[str] = ("histogram", "s_curve")) -> None:
        """Add every number, date and text in a JSON-like structure, except ``skip`` keys."""
        skipped = frozenset(skip)
        if isinstance(data, bool) or data is None:
            return
        if isinstance(data, int | float):
            self.add_value(float(data))
        elif isinstance(data, datetime):
            self.add_day(data.date())
        elif isinstance(data, date):
            self.add_day(data)
        elif isinstance(data, str):
            self.add_text(data)
        elif isinstance(data, Mapping):
            for key, value in data.items():
                if str(key) not in skipped:
                    self.add_data(value, skip=skipped)
        elif isinstance(data, list | tuple):
            for value in data:
                self.add_data(value, skip=skipped)

    def _has(self, target: float, tolerance: float) -> bool:
        if not self._sorted:
            self._values.sort()
            self._sorted = True
        position = bisect.bisect_left(self._values, target - tolerance)
        return position < len(self._values) and self._values[position] <= target + tolerance

    def allows(self, figure: Figure) -> bool:
        """Whether a computed value, rounded as ``figure`` shows it, gives ``figure``."""
        tolerance = figure.tolerance
        if figure.kind == "percent":
            # A share is computed as a fraction (0.054) or already in percent (5.4).
            return self._has(figure.value / 100, tolerance / 100) or self._has(
                figure.value, tolerance
            )
        return self._has(figure.value, tolerance)

    def unsupported(self, text: str) -> list[str]:
        """Return the figures and dates in ``text`` that no computed value supports."""
        figures, days, months = find_figures(text)
        found = [figure.text for figure in figures if not self.allows(figure)]
        found += [day.isoformat() for day in days if day not in self._days]
        found += [
            f"{year:04d}-{month:02d}"
            for year, month in months
            if (year, month) not in self._months
        ]
        return found
