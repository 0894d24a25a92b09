"""Number formats shared by insight texts and narratives."""

from __future__ import annotations

from datetime import date

_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}


def money(value: float, currency: str) -> str:
    """Format an amount with its currency: £1.25m, $830k, EUR 950."""
    symbol = _SYMBOLS.get(currency.upper())
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1e9:
        amount = f"{magnitude / 1e9:.2f}bn"
    elif magnitude >= 1e6:
        amount = f"{magnitude / 1e6:.2f}m"
    elif magnitude >= 1e4:
        amount = f"{magnitude / 1e3:.0f}k"
    else:
        amount = f"{magnitude:,.0f}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency} {amount}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:.1f} %"


def day(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "not scheduled"
