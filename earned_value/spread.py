"""Amounts spread linearly over working time, summed at any instants in one numpy pass.

Each amount runs from a start to a finish instant on the working time of one calendar. At an
instant t the share accrued is (H(t) - H(start)) / (H(finish) - H(start)), clipped to 0..1,
where H counts working hours. A span with no working time in it (a milestone, or work
placed wholly on non-working days) accrues all at once at its finish.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from earned_value.errors import TimePhasingError
from schedules.model import Calendar
from schedules.worktime import FloatArray, WorkingTime, WorkingTimeError

logger = logging.getLogger(__name__)

_EPOCH = np.datetime64("2000-01-01T00:00", "us")
_ONE_HOUR = np.timedelta64(1, "h")


class Clock(Protocol):
    """Counts working hours up to instants; ``WorkingTime`` is the usual one."""

    def cumulative_hours(self, instants: Iterable[datetime]) -> FloatArray: ...


class ElapsedTime:
    """A clock on which every hour works: used when an activity has no usable calendar."""

    def cumulative_hours(self, instants: Iterable[datetime]) -> FloatArray:
        """Return the hours from 2000-01-01 to each instant."""
        moments = np.array(list(instants), dtype="datetime64[us]")
        return np.asarray((moments - _EPOCH) / _ONE_HOUR, dtype=np.float64)


class CalendarClocks:
    """One working-time clock per calendar, built on first use and reused for every span."""

    def __init__(
        self,
        calendars: Iterable[Calendar],
        default_id: str | None,
        first_day: date,
        last_day: date,
    ) -> None:
        self._calendars = {calendar.id: calendar for calendar in calendars}
        self._default_id = default_id
        self._first_day = first_day
        self._last_day = last_day
        self._clocks: dict[str | None, Clock | None] = {None: ElapsedTime()}

    def key_for(self, calendar_id: str | None) -> str | None:
        """Return the calendar to spread on: the given one, else the default, else None.

        None stands for elapsed time, used when neither calendar exists or has working time.
        """
        for candidate in (calendar_id, self._default_id):
            if candidate is not None and self._build(candidate) is not None:
                return candidate
        return None

    def clock(self, key: str | None) -> Clock:
        """Return the clock for a key given by ``key_for``."""
        clock = self._build(key)
        if clock is None:
            raise TimePhasingError(f"calendar {key!r} is not usable; resolve it with key_for")
        return clock

    def _build(self, key: str | None) -> Clock | None:
        if key in self._clocks:
            return self._clocks[key]
        calendar = self._calendars.get(key) if key is not None else None
        clock: Clock | None = None
        if calendar is not None:
            try:
                clock = WorkingTime(calendar, self._first_day, self._last_day)
            except WorkingTimeError as error:
                logger.debug("calendar %r is not usable for time-phasing: %s", key, error)
        self._clocks[key] = clock
        return clock


@dataclass(frozen=True, slots=True)
class Span:
    """An amount to spread from ``start`` to ``finish`` on the calendar ``calendar_key``."""

    start: datetime
    finish: datetime
    amount: float
    calendar_key: str | None  # None spreads over elapsed time


@dataclass(frozen=True, slots=True)
class _Group:
    """The spans of one calendar as arrays."""

    clock: Clock
    start_hours: FloatArray
    hours: FloatArray  # working hours in each span, 1.0 where the span is stepped
    finishes: npt.NDArray[np.datetime64]
    amounts: FloatArray
    stepped: npt.NDArray[np.bool_]

    def values_at(
        self, instants: Sequence[datetime], moments: npt.NDArray[np.datetime64]
    ) -> FloatArray:
        hours = self.clock.cumulative_hours(instants)
        ramp = np.clip(
            (hours[:, None] - self.start_hours[None, :]) / self.hours[None, :], 0.0, 1.0
        )
        step = moments[:, None] >= self.finishes[None, :]
        shares = np.where(self.stepped[None, :], step, ramp)
        return np.asarray(shares @ self.amounts, dtype=np.float64)


def _group(clock: Clock, spans: Sequence[Span]) -> _Group:
    starts = clock.cumulative_hours(span.start for span in spans)
    finishes = clock.cumulative_hours(span.finish for span in spans)
    hours = finishes - starts
    stepped = hours <= 0.0
    return _Group(
        clock=clock,
        start_hours=starts,
        hours=np.where(stepped, 1.0, hours),
        finishes=np.array([span.finish for span in spans], dtype="datetime64[us]"),
        amounts=np.array([span.amount for span in spans], dtype=np.float64),
        stepped=stepped,
    )


class SpreadCurve:
    """The cumulative sum of many spans, evaluated at arrays of instants."""

    def __init__(self, spans: Iterable[Span], clocks: CalendarClocks) -> None:
        by_key: dict[str | None, list[Span]] = {}
        for span in spans:
            by_key.setdefault(span.calendar_key, []).append(span)
        try:
            self._groups = [_group(clocks.clock(key), group) for key, group in by_key.items()]
        except WorkingTimeError as error:
            raise TimePhasingError(
                f"cannot place the spans on their calendars: {error}"
            ) from error
        self.total = float(sum(float(group.amounts.sum()) for group in self._groups))

    def values_at(self, instants: Sequence[datetime]) -> FloatArray:
        """Return the cumulative amount accrued at each instant."""
        moments = np.array(list(instants), dtype="datetime64[us]")
        values = np.zeros(len(moments), dtype=np.float64)
        if not len(moments):
            return values
        try:
            for group in self._groups:
                values += group.values_at(instants, moments)
        except WorkingTimeError as error:
            raise TimePhasingError(
                f"cannot evaluate the spread at the requested instants: {error}"
            ) from error
        return values

    def value_at(self, instant: datetime) -> float:
        """Return the cumulative amount accrued at ``instant``."""
        return float(self.values_at([instant])[0])
