"""Which reporting month a project's status can describe."""

from __future__ import annotations

from datetime import date


def _index(year: int, month: int) -> int:
    return year * 12 + month - 1


def report_month_problem(report_month: str, data_date: date) -> str | None:
    """Return why ``report_month`` does not fit the data date, or None when it fits.

    A report describes the status at the project's data date, so its month is the data
    date's month, or the month before when the data date falls at the start of the next.
    """
    year, month = (int(part) for part in report_month.split("-"))
    offset = _index(data_date.year, data_date.month) - _index(year, month)
    if offset in (0, 1):
        return None
    status = data_date.isoformat()
    if offset < 0:
        return (
            f"report month {report_month} is after the project's data date {status}; "
            "import a schedule statused in that month first"
        )
    previous_year, previous_month = divmod(_index(data_date.year, data_date.month) - 1, 12)
    return (
        f"report month {report_month} is before the project's data date {status}, so the "
        f"figures would be mislabelled; report on {data_date:%Y-%m}, or on "
        f"{previous_year:04d}-{previous_month + 1:02d} when the data date closes that month"
    )
