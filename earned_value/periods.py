"""Calendar months as reporting periods: month ends and fractional month counts.

A month end is the first instant of the next month (midnight), so everything done on the
last day of a month counts in that month. Fractions of a month are elapsed calendar time
over the length of that month, which makes the month scale continuous: 2024-02-15 12:00
is half-way through February and 2024-03-01 00:00 is exactly two months after 2024-01-01.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from earned_value.errors import InvalidFigureError


def month_start(instant: datetime) -> datetime:
    """Return midnight on the first day of ``instant``'s month."""
    return datetime(instant.year, instant.month, 1)


def add_months(first_of_month: datetime, count: int) -> datetime:
    """Return the first instant of the month ``count`` months after ``first_of_month``'s."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1)


def month_position(instant: datetime) -> float:
    """Return ``instant`` on a continuous month scale (months since year 0)."""
    start = month_start(instant)
    length = add_months(start, 1) - start
    return start.year * 12 + start.month - 1 + (instant - start) / length


def months_between(start: datetime, finish: datetime) -> float:
    """Return the months from ``start`` to ``finish`` as a fraction (negative when reversed)."""
    return month_position(finish) - month_position(start)


def month_ends(start: datetime, finish: datetime) -> list[datetime]:
    """Return the month ends from ``start``'s month through the month that contains ``finish``.

    The last month end is at or after ``finish``, so a series sampled at these instants
    covers the whole of ``start`` to ``finish``.
    """
    if finish < start:
        raise InvalidFigureError(
            f"reporting period ends {finish:%Y-%m-%d %H:%M} before it starts "
            f"{start:%Y-%m-%d %H:%M}; give a finish after the start"
        )
    ends = [add_months(month_start(start), 1)]
    while ends[-1] < finish:
        ends.append(add_months(ends[-1], 1))
    return ends


def month_label(month_end: datetime) -> str:
    """Return the month that ends at ``month_end`` as YYYY-MM."""
    month = add_months(month_end, -1)
    return f"{month.year:04d}-{month.month:02d}"


def last_day(month_end: datetime) -> date:
    """Return the last calendar day of the month that ends at ``month_end``."""
    return (month_end - timedelta(days=1)).date()
