"""How figures are printed in every format, and how the checks read them back.

Money is printed to the cent, indices to four decimals (the precision the report stores
its key metrics at), shares as percentages to two decimals and dates as ISO dates. Parsing
a printed figure and comparing it with the report's value within half a unit of its last
printed digit therefore tells whether the file carries the report's number.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

MISSING = "n/a"
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
_MONEY = re.compile(r"^(-)?(?:[^\d\s-]{1,3}\s?|[A-Z]{3}\s)?([\d,]+(?:\.\d+)?)$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


class FigureKind(StrEnum):
    MONEY = "money"
    INDEX = "index"
    PERCENT = "percent"
    DATE = "date"
    NUMBER = "number"

    @property
    def tolerance(self) -> float:
        """Half a unit of the last printed digit, in the unit of the report's value."""
        return {
            FigureKind.MONEY: 0.005,
            FigureKind.INDEX: 0.00005,
            FigureKind.PERCENT: 0.00005,
            FigureKind.DATE: 0.0,
            FigureKind.NUMBER: 0.005,
        }[self]


def currency_prefix(currency: str) -> str:
    """Return the symbol printed before amounts of ``currency``, or its code and a space."""
    return _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


def format_figure(value: float | str | None, kind: FigureKind, currency: str) -> str:
    """Return ``value`` as every export prints it."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if kind is FigureKind.DATE:
        return str(value)[:10]
    number = float(value)
    if kind is FigureKind.MONEY:
        sign = "-" if round(number, 2) < 0 else ""
        return f"{sign}{currency_prefix(currency)}{abs(number):,.2f}"
    if kind is FigureKind.PERCENT:
        return f"{number * 100:.2f} %"
    if kind is FigureKind.NUMBER:
        return f"{number:,.2f}"
    return f"{number:.4f}"


def parse_figure(text: str, kind: FigureKind) -> float | str | None:
    """Read a printed figure back; None for the missing marker.

    Raises:
        ValueError: ``text`` is not a figure of ``kind``.
    """
    text = text.strip()
    if text == MISSING:
        return None
    if kind is FigureKind.DATE:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"{text!r} is not an ISO date")
        return text
    if kind is FigureKind.MONEY:
        match = _MONEY.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not an amount of money")
        amount = float(match.group(2).replace(",", ""))
        return -amount if match.group(1) else amount
    if kind is FigureKind.PERCENT:
        number = text.removesuffix("%").strip()
        if not _NUMBER.fullmatch(number):
            raise ValueError(f"{text!r} is not a percentage")
        return float(number) / 100
    plain = text.replace(",", "") if kind is FigureKind.NUMBER else text
    if not _NUMBER.fullmatch(plain):
        raise ValueError(f"{text!r} is not a number")
    return float(plain)


def same_figure(printed: float | str | None, value: float | str | None, kind: FigureKind) -> bool:
    """Return whether a figure read back from a file equals the report's value."""
    if value is None or printed is None:
        return value is None and printed is None
    if kind is FigureKind.DATE:
        return str(printed) == str(value)[:10]
    return abs(float(printed) - float(value)) <= kind.tolerance + 1e-9 * abs(float(value))


def excel_format(kind: FigureKind, currency: str) -> str:
    """Return the Excel number format of a figure of ``kind``."""
    if kind is FigureKind.MONEY:
        prefix = currency_prefix(currency).replace('"', "")
        return f'"{prefix}"#,##0.00;-"{prefix}"#,##0.00'
    if kind is FigureKind.PERCENT:
        return "0.00%"
    if kind is FigureKind.DATE:
        return "yyyy-mm-dd"
    if kind is FigureKind.NUMBER:
        return "#,##0.00"
    return "0.0000"


def compact_money(value: float, currency: str) -> str:
    """Return an axis label such as £215.9m or -£12k."""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if amount >= limit:
            return f"{sign}{currency_prefix(currency)}{amount / limit:.1f}{suffix}"
    return f"{sign}{currency_prefix(currency)}{amount:.0f}"
