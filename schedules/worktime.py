"""Working-time arithmetic on a calendar: hours between instants and instants after hours.

A calendar is turned into a table with one row per day: the cumulative working hours at the
start of that day and the day's working intervals. Every question then costs a binary search
plus the arithmetic of one day, and arrays of instants are answered in one numpy pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt

from schedules.model import Calendar, WorkInterval

# Days before and after the range a caller asks for, so that small overruns stay in the table.
_MARGIN_DAYS = 366
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2200, 12, 31)
# The first and last day a working-time table can cover.
SUPPORTED_DAYS = (_EARLIEST, _LATEST)
_MINUTES_PER_DAY = 24 * 60

FloatArray = npt.NDArray[np.float64]


class WorkingTimeError(ValueError):
    """A working-time question that has no answer on this calendar."""


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _interval_minutes(interval: WorkInterval) -> tuple[int, int]:
    start = _minutes(interval.start)
    finish = _minutes(interval.finish) or _MINUTES_PER_DAY
    return start, max(finish, start)


class WorkingTime:
    """Working-time arithmetic on one calendar.

    Instants are naive datetimes in project time. The table covers ``first_day`` to
    ``last_day`` plus a year on each side and grows when a question falls outside it,
    up to the years 1900 to 2200; instants beyond that range raise ``WorkingTimeError``.
    """

    def __init__(self, calendar: Calendar, first_day: date, last_day: date) -> None:
        if not any(calendar.week) and not any(calendar.exceptions.values()):
            raise WorkingTimeError(
                f"calendar {calendar.id!r} ({calendar.name}) has no working time; "
                "give it at least one working day"
            )
        self.calendar = calendar
        self._anchor = max(first_day, _EARLIEST)
        self._build(
            first_day - timedelta(days=_MARGIN_DAYS), last_day + timedelta(days=_MARGIN_DAYS)
        )

    def _build(self, first_day: date, last_day: date) -> None:
        first_day = max(first_day, _EARLIEST)
        last_day = min(last_day, _LATEST)
        days = (last_day - first_day).days + 1
        widest = max(
            [len(pattern) for pattern in self.calendar.week]
            + [len(intervals) for intervals in self.calendar.exceptions.values()]
            + [1]
        )
        starts = np.zeros((days, widest), dtype=np.float64)
        finishes = np.zeros((days, widest), dtype=np.float64)
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for slot, interval in enumerate(self.calendar.intervals_on(day)):
                starts[offset, slot], finishes[offset, slot] = _interval_minutes(interval)
        daily = (finishes - starts).sum(axis=1) / 60.0
        cumulative = np.concatenate(([0.0], np.cumsum(daily)))
        # Hours count from midnight of the anchor day, so values stay valid as the table grows.
        anchor_row = (self._anchor - first_day).days
        self._first_day = first_day
        self._last_day = last_day
        self._starts = starts
        self._finishes = finishes
        self._cumulative = cumulative - cumulative[anchor_row]

    def _ensure_covers(self, first_day: date, last_day: date) -> None:
        if first_day < _EARLIEST or last_day > _LATEST:
            raise WorkingTimeError(
                f"date range {first_day} to {last_day} is outside the supported years "
                f"{_EARLIEST.year} to {_LATEST.year}"
            )
        if first_day < self._first_day or last_day > self._last_day:
            self._build(
                min(first_day, self._first_day) - timedelta(days=_MARGIN_DAYS),
                max(last_day, self._last_day) + timedelta(days=_MARGIN_DAYS),
            )

    def _offsets(self, instants: Iterable[datetime]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        moments = list(instants)
        if moments:
            self._ensure_covers(min(moments).date(), max(moments).date())
        days = np.array([(m.date() - self._first_day).days for m in moments], dtype=np.int64)
        minutes = np.array(
            [m.hour * 60 + m.minute + m.second / 60 for m in moments], dtype=np.float64
        )
        return days, minutes

    def _hours_at(self, days: npt.NDArray[np.int64], minutes: FloatArray) -> FloatArray:
        clipped = (
            np.clip(minutes[:, None], self._starts[days], self._finishes[days])
            - self._starts[days]
        )
        return np.asarray(self._cumulative[days] + clipped.sum(axis=1) / 60.0, dtype=np.float64)

    def cumulative_hours(self, instants: Iterable[datetime]) -> FloatArray:
        """Return, for each instant, the working hours from ``origin`` up to it."""
        days, minutes = self._offsets(instants)
        return self._hours_at(days, minutes)

    def hours_between(self, start: datetime, finish: datetime) -> float:
        """Return the working hours from ``start`` to ``finish`` (negative when reversed)."""
        before, after = self.cumulative_hours([start, finish])
        return float(after - before)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """Return the instant ``hours`` working hours after ``start``.

        A result that lands on the end of a working period stays there (17:00, not the
        next morning), which is how finish dates are shown. Negative hours go backwards.
        """
        target = float(self.cumulative_hours([start])[0]) + hours
        return self.instants_at(np.array([target]))[0]

    def instants_at(self, cumulative: FloatArray) -> list[datetime]:
        """Return the earliest instants at which the cumulative working hours reach each value."""
        if cumulative.size == 0:
            return []
        self._grow_for(float(cumulative.min()), float(cumulative.max()))
        days = np.searchsorted(self._cumulative, cumulative, side="left") - 1
        days = np.clip(days, 0, len(self._cumulative) - 2)
        return [
            self._instant_in_day(int(day), float(value))
            for day, value in zip(days, cumulative, strict=True)
        ]

    def _grow_for(self, lowest: float, highest: float) -> None:
        hours_per_day = max(self.calendar.hours_per_week / 7.0, 1.0)
        while lowest < self._cumulative[0] or highest > self._cumulative[-1]:
            if self._first_day <= _EARLIEST and self._last_day >= _LATEST:
                raise WorkingTimeError(
                    f"{lowest:.1f} to {highest:.1f} working hours from {self.origin:%Y-%m-%d} "
                    f"fall outside the years {_EARLIEST.year} to {_LATEST.year}"
                )
            shortfall_before = max(self._cumulative[0] - lowest, 0.0) / hours_per_day
            shortfall_after = max(highest - self._cumulative[-1], 0.0) / hours_per_day
            self._build(
                self._first_day - timedelta(days=int(shortfall_before * 2) + _MARGIN_DAYS),
                self._last_day + timedelta(days=int(shortfall_after * 2) + _MARGIN_DAYS),
            )

    def _instant_in_day(self, day: int, value: float) -> datetime:
        remaining_minutes = (value - self._cumulative[day]) * 60.0
        moment = self._starts[day, 0]
        for start, finish in zip(self._starts[day], self._finishes[day], strict=True):
            if finish <= start:
                continue
            moment = start + min(remaining_minutes, finish - start)
            remaining_minutes -= finish - start
            if remaining_minutes <= 1e-9:
                break
        return datetime.combine(self._first_day + timedelta(days=day), time()) + timedelta(
            minutes=round(float(moment), 6)
        )

    @property
    def origin(self) -> datetime:
        """The instant at which cumulative working hours are zero."""
        return datetime.combine(self._anchor, time())


def working_times(
    calendars: Iterable[Calendar], first_day: date, last_day: date
) -> dict[str, WorkingTime]:
    """Build one ``WorkingTime`` per calendar id over the same range."""
    return {calendar.id: WorkingTime(calendar, first_day, last_day) for calendar in calendars}
