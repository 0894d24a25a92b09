"""Primavera P6 calendars from the XER CALENDAR table.

``clndr_data`` is a nested list: each node is ``(0||name(params)(children))``. The weekly
pattern sits under ``DaysOfWeek`` (day 1 is Sunday, 7 is Saturday) and dated exceptions under
``Exceptions``, with the date as an Excel serial number (days since 1899-12-30). Each day or
exception contains working intervals such as ``(s|08:00|f|16:00)``, and a day without any is a
day off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from schedules.model import Calendar, WorkInterval
from schedules.xer_tables import XerRow

_EXCEL_EPOCH = date(1899, 12, 30)
_SEPARATORS = " \t\r\n\x7f"
# Used when a calendar's data cannot be read: Monday to Friday from 08:00.
_DEFAULT_START = time(8, 0)


class CalendarDataError(ValueError):
    """The clndr_data text is not a well-formed node list."""


@dataclass(slots=True)
class _Node:
    name: str
    params: dict[str, str]
    children: list[_Node] = field(default_factory=list)

    def child(self, name: str) -> _Node | None:
        return next((node for node in self.children if node.name == name), None)


def calendar_from_row(row: XerRow) -> tuple[Calendar, str | None]:
    """Build a calendar from a CALENDAR row.

    Returns the calendar and, when ``clndr_data`` could not be read and a Monday-to-Friday
    week was assumed instead, the reason.
    """
    hours_per_day = _positive(row.get("day_hr_cnt", ""), 24.0) or 8.0
    calendar_id, name = row.get("clndr_id", ""), row.get("clndr_name", "")
    try:
        root = _parse_node(row.get("clndr_data", ""), 0)[0]
        week, exceptions = _week(root), _exceptions(root)
    except (CalendarDataError, ValueError, IndexError, OverflowError) as error:
        # OverflowError: an exception date serial too large for a date, such as 1e300.
        week, exceptions = _default_week(hours_per_day), {}
        problem: str | None = str(error) or type(error).__name__
    else:
        problem = None
    week_hours = sum(interval.hours for day in week for interval in day)
    hours_per_week = _positive(row.get("week_hr_cnt", ""), 168.0) or week_hours
    calendar = Calendar(calendar_id, name, hours_per_day, hours_per_week, week, exceptions)
    return calendar, problem


def _parse_node(text: str, position: int) -> tuple[_Node, int]:
    position = _expect(text, _skip(text, position), "(")
    opening = text.find("(", position)
    closing = text.find(")", opening)
    if opening < 0 or closing < 0:
        raise CalendarDataError(f"unterminated node at character {position}")
    name = text[position:opening].rpartition("||")[2]
    node = _Node(name, _params(text[opening + 1 : closing]))
    position = _expect(text, _skip(text, closing + 1), "(")
    position = _skip(text, position)
    while position < len(text) and text[position] == "(":
        child, position = _parse_node(text, position)
        node.children.append(child)
        position = _skip(text, position)
    position = _expect(text, position, ")")
    return node, _expect(text, _skip(text, position), ")")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _SEPARATORS:
        position += 1
    return position


def _expect(text: str, position: int, character: str) -> int:
    if position >= len(text) or text[position] != character:
        raise CalendarDataError(f"expected {character!r} at character {position}")
    return position + 1


def _params(text: str) -> dict[str, str]:
    parts = text.split("|")
    return dict(zip(parts[0::2], parts[1::2], strict=False))


def _week(root: _Node) -> tuple[tuple[WorkInterval, ...], ...]:
    days = root.child("DaysOfWeek")
    if days is None:
        raise CalendarDataError("no DaysOfWeek section")
    week: list[tuple[WorkInterval, ...]] = [()] * 7
    for day in days.children:
        # P6 numbers days from 1 = Sunday; the model's week starts on Monday.
        week[(int(day.name) + 5) % 7] = _intervals(day)
    return tuple(week)


def _exceptions(root: _Node) -> dict[date, tuple[WorkInterval, ...]]:
    section = root.child("Exceptions")
    exceptions: dict[date, tuple[WorkInterval, ...]] = {}
    for node in section.children if section else []:
        serial = node.params.get("d")
        if serial:
            exceptions[_EXCEL_EPOCH + timedelta(days=int(float(serial)))] = _intervals(node)
    return exceptions


def _intervals(day: _Node) -> tuple[WorkInterval, ...]:
    intervals = []
    for node in day.children:
        if "s" in node.params and "f" in node.params:
            intervals.append(WorkInterval(_time(node.params["s"]), _time(node.params["f"])))
    return tuple(sorted(intervals, key=lambda interval: interval.start))


def _time(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    # 24:00 is midnight at the end of the day, which WorkInterval reads from 00:00.
    return time(int(hours) % 24, int(minutes or 0))


def _default_week(hours_per_day: float) -> tuple[tuple[WorkInterval, ...], ...]:
    finish_minutes = min(_DEFAULT_START.hour * 60 + round(hours_per_day * 60), 24 * 60)
    finish = time(finish_minutes // 60 % 24, finish_minutes % 60)
    workday = (WorkInterval(_DEFAULT_START, finish),)
    return (workday,) * 5 + ((), ())


def _positive(text: str, limit: float) -> float | None:
    """Return the number in ``text`` when it is over 0 and at most ``limit``, else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    # The comparison is False for NaN, so NaN is rejected too.
    return value if 0 < value <= limit else None
