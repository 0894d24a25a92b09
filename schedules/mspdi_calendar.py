"""Microsoft Project calendars from the MSPDI ``Calendars`` element.

A calendar lists ``WeekDay`` entries (DayType 1 is Sunday to 7 Saturday) with their
``WorkingTimes``. ``DayType`` 0 entries and the ``Exceptions`` element of Project 2007 and
later hold dated exceptions. A derived calendar (``BaseCalendarUID``) takes every weekday it
does not define, and every exception, from its base calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import Element

from schedules.model import Calendar, WorkInterval

# Project's own default week: Monday to Friday, 08:00 to 12:00 and 13:00 to 17:00.
_STANDARD_DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
_STANDARD_WEEK: tuple[tuple[WorkInterval, ...], ...] = (_STANDARD_DAY,) * 5 + ((), ())
# An exception spanning more days than this is cut short, so one entry cannot build a
# table of millions of days.
MAX_EXCEPTION_DAYS = 366 * 20
# NOTE: only daily exceptions (Type 1) are expanded; weekly, monthly and yearly recurrences
# are reported and skipped.
_DAILY_EXCEPTION = "1"


@dataclass(slots=True)
class _RawCalendar:
    uid: str
    name: str
    base_uid: str | None
    week: dict[int, tuple[WorkInterval, ...]] = field(default_factory=dict)
    exceptions: dict[date, tuple[WorkInterval, ...]] = field(default_factory=dict)


def read_calendars(
    elements: list[Element],
    namespace: str,
    hours_per_day: float,
    hours_per_week: float,
    problems: list[str],
) -> tuple[Calendar, ...]:
    """Build every calendar, resolving derived calendars against their bases.

    ``problems`` receives one sentence per part of a calendar that could not be used.
    """
    raw = {}
    for element in elements:
        calendar = _raw_calendar(element, namespace, problems)
        raw[calendar.uid] = calendar
    return tuple(
        _resolve(calendar, raw, hours_per_day, hours_per_week) for calendar in raw.values()
    )


def _raw_calendar(element: Element, ns: str, problems: list[str]) -> _RawCalendar:
    base = element.findtext(f"{ns}BaseCalendarUID")
    calendar = _RawCalendar(
        uid=element.findtext(f"{ns}UID") or "",
        name=element.findtext(f"{ns}Name") or "",
        base_uid=base if base and base != "-1" else None,
    )
    for weekday in element.iterfind(f"{ns}WeekDays/{ns}WeekDay"):
        day_type = int(weekday.findtext(f"{ns}DayType") or "-1")
        intervals = _intervals(weekday, ns)
        if 1 <= day_type <= 7:
            # DayType 1 is Sunday; the model's week starts on Monday.
            calendar.week[(day_type + 5) % 7] = intervals
        elif day_type == 0:
            period = weekday.find(f"{ns}TimePeriod")
            _add_span(calendar, period, ns, intervals, problems)
    for exception in element.iterfind(f"{ns}Exceptions/{ns}Exception"):
        kind = exception.findtext(f"{ns}Type") or _DAILY_EXCEPTION
        if kind != _DAILY_EXCEPTION:
            name = exception.findtext(f"{ns}Name") or "unnamed"
            problems.append(
                f"calendar {calendar.name!r} has a recurring exception {name!r} (type {kind}) "
                "that was not applied"
            )
            continue
        period = exception.find(f"{ns}TimePeriod")
        _add_span(calendar, period, ns, _intervals(exception, ns), problems)
    return calendar


def _intervals(element: Element, ns: str) -> tuple[WorkInterval, ...]:
    if element.findtext(f"{ns}DayWorking") == "0":
        return ()
    intervals = []
    for working in element.iterfind(f"{ns}WorkingTimes/{ns}WorkingTime"):
        start, finish = working.findtext(f"{ns}FromTime"), working.findtext(f"{ns}ToTime")
        if start and finish:
            intervals.append(WorkInterval(_time(start), _time(finish)))
    return tuple(sorted(intervals, key=lambda interval: interval.start))


def _time(text: str) -> time:
    hours, _, rest = text.strip().partition(":")
    # 24:00 is midnight at the end of the day, which WorkInterval reads from 00:00.
    return time(int(hours) % 24, int(rest.partition(":")[0] or 0))


def _add_span(
    calendar: _RawCalendar,
    period: Element | None,
    ns: str,
    intervals: tuple[WorkInterval, ...],
    problems: list[str],
) -> None:
    if period is None:
        return
    first_text, last_text = period.findtext(f"{ns}FromDate"), period.findtext(f"{ns}ToDate")
    if not first_text or not last_text:
        return
    first = datetime.fromisoformat(first_text).date()
    last = datetime.fromisoformat(last_text).date()
    if (last - first).days >= MAX_EXCEPTION_DAYS:
        problems.append(
            f"calendar {calendar.name!r} has an exception from {first} to {last}; only its "
            f"first {MAX_EXCEPTION_DAYS} days were applied"
        )
        last = first + timedelta(days=MAX_EXCEPTION_DAYS - 1)
    day = first
    while day <= last:
        calendar.exceptions[day] = intervals
        day += timedelta(days=1)


def _resolve(
    calendar: _RawCalendar,
    raw: dict[str, _RawCalendar],
    hours_per_day: float,
    hours_per_week: float,
) -> Calendar:
    chain = [calendar]
    while chain[-1].base_uid in raw and raw[chain[-1].base_uid or ""] not in chain:
        chain.append(raw[chain[-1].base_uid or ""])
    week = list(_STANDARD_WEEK)
    exceptions: dict[date, tuple[WorkInterval, ...]] = {}
    # Apply the root base first so that each derived calendar overrides what it defines.
    for link in reversed(chain):
        for index, intervals in link.week.items():
            week[index] = intervals
        exceptions.update(link.exceptions)
    return Calendar(
        id=calendar.uid,
        name=calendar.name,
        hours_per_day=hours_per_day,
        hours_per_week=hours_per_week,
        week=tuple(week),
        exceptions=exceptions,
    )
