"""Working time of several calendars on one common clock, as lookup tables.

The common clock counts elapsed hours from the data date. The clock is cut into ticks of
equal length, fine enough that every working period of every calendar starts and ends on a
tick, so within one tick a calendar either works or does not. Each calendar then becomes two
monotone piecewise-linear maps sampled on a uniform grid (``GridMap``): from clock hours to
its own working hours, and back. A map between two calendars (the working hours of one at the
instant another reaches a value) is sampled the same way. Evaluating any map costs a floor,
two gathers and a multiply-add per value, which keeps Monte Carlo passes vectorised.

Working hours of every calendar are counted from the data date (zero there). A value on a
boundary between working periods names two instants, the end of one period and the start of
the next: finishes take the earlier (``finish=True``), starts the later.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt

from risk_analysis.errors import NetworkError
from schedules.model import Calendar, WorkInterval

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MINUTES_PER_DAY = 24 * 60
# Calendars whose periods start on odd minutes are rounded to this grid, which bounds the table
# size: one tick per 5 minutes over 30 years is about 3.2 million ticks.
MINIMUM_TICK_MINUTES = 5
# Values this close to a period boundary (in ticks) count as on it, absorbing float64 rounding.
_BOUNDARY_TICKS = 1e-7


@dataclass(frozen=True, slots=True, eq=False)
class GridMap:
    """A nondecreasing piecewise-linear map ``f`` sampled on a uniform grid.

    Cell ``j`` covers ``[origin + j step, origin + (j + 1) step)``; there ``f`` rises from
    ``values[j]`` with slope ``slopes[j]`` (0 or 1). The first and last cells have slope 1, so
    values beyond the table are extrapolated as continuous working time.
    """

    origin: float
    step: float
    values: FloatArray
    values32: npt.NDArray[np.float32]
    slopes: npt.NDArray[np.uint8]

    def __call__(self, x: npt.NDArray[np.floating], *, finish: bool) -> npt.NDArray[np.floating]:
        """Evaluate the map; on a jump ``finish`` picks the lower value, else the higher."""
        single = x.dtype == np.float32
        values = self.values32 if single else self.values
        cells = (x - x.dtype.type(self.origin)) * x.dtype.type(1.0 / self.step)
        if finish:
            index = np.ceil(cells - x.dtype.type(_BOUNDARY_TICKS)) - 1
        else:
            index = np.floor(cells + x.dtype.type(_BOUNDARY_TICKS))
        np.clip(index, 0, values.size - 1, out=index)
        cells -= index
        cells *= x.dtype.type(self.step)
        positions = index.astype(np.intp)
        cells *= np.take(self.slopes, positions)
        cells += np.take(values, positions)
        return np.asarray(cells)


def grid_map(
    origin: float, step: float, values: FloatArray, slopes: npt.NDArray[np.bool_]
) -> GridMap:
    """Build a GridMap with a slope-1 cell added before and after the sampled range."""
    first, last = float(values[0]), float(values[-1] + step * slopes[-1])
    full_values = np.concatenate(([first - step], values, [last]))
    return GridMap(
        origin=origin - step,
        step=step,
        values=full_values,
        values32=full_values.astype(np.float32),
        slopes=np.concatenate(([1], slopes, [1])).astype(np.uint8),
    )


@dataclass(frozen=True, slots=True, eq=False)
class CalendarTable:
    """One calendar on the clock: its maps from clock hours to working hours and back."""

    calendar_id: str
    name: str
    from_clock: GridMap
    to_clock: GridMap

    @property
    def working(self) -> npt.NDArray[np.bool_]:
        """One flag per tick of the clock: True where the calendar works."""
        return np.asarray(self.from_clock.slopes[1:-1] == 1)

    @property
    def tick_hours(self) -> FloatArray:
        """Working hours from the data date at the start of each tick of the clock."""
        return self.from_clock.values[1:-1]


@dataclass(frozen=True, slots=True, eq=False)
class CalendarSet:
    """The distinct calendars of a network on one clock, with the maps between them.

    Tick ``k`` starts ``start_hours + k step_hours`` elapsed hours after ``data_date``.
    ``index_of`` maps each calendar id to its table (identical calendars share one).
    """

    data_date: datetime
    start_hours: float
    step_hours: float
    ticks: int
    tables: tuple[CalendarTable, ...]
    index_of: dict[str, int]

    @property
    def end_hours(self) -> float:
        return self.start_hours + self.ticks * self.step_hours

    def link_map(self, source: int, target: int) -> GridMap:
        """Return the map from working hours of ``source`` to those of ``target``."""
        table, other = self.tables[source], self.tables[target]
        positions = np.flatnonzero(table.working)
        return grid_map(
            table.to_clock.origin + table.to_clock.step,
            self.step_hours,
            other.tick_hours[positions],
            other.working[positions],
        )

    def working_hours(self, calendar: int, moments: Sequence[datetime]) -> FloatArray:
        """Return each instant as working hours of a calendar from the data date."""
        elapsed = np.array([self.elapsed(moment) for moment in moments], dtype=np.float64)
        return np.asarray(self.tables[calendar].from_clock(elapsed, finish=False))

    def elapsed(self, moment: datetime) -> float:
        """Return the hours from the data date to an instant."""
        return (moment - self.data_date).total_seconds() / 3600.0

    def clock_hours(
        self, calendars: IntArray, offsets: npt.ArrayLike, finish: npt.NDArray[np.bool_]
    ) -> FloatArray:
        """Return elapsed hours of working-hour offsets, each on its own calendar.

        ``finish`` marks the offsets that name the end of a period when on a boundary.
        """
        values = np.asarray(offsets, dtype=np.float64)
        result = np.empty_like(values)
        for index in np.unique(calendars):
            for flag in (False, True):
                chosen = (calendars == index) & (finish == flag)
                if chosen.any():
                    table = self.tables[int(index)]
                    result[chosen] = table.to_clock(values[chosen], finish=flag)
        return result

    def instants(self, elapsed_hours: npt.ArrayLike) -> list[datetime]:
        """Return datetimes of elapsed hours, to the second."""
        return [
            self.data_date + timedelta(seconds=round(float(hours) * 3600.0))
            for hours in np.asarray(elapsed_hours, dtype=np.float64)
        ]


def build_calendar_set(
    calendars: Sequence[Calendar], data_date: datetime, first_day: date, last_day: date
) -> CalendarSet:
    """Tabulate calendars on one clock from ``first_day`` to ``last_day`` (inclusive).

    Raise NetworkError when a calendar's week pattern does not have seven days or a calendar
    has no working time in the range.
    """
    for calendar in calendars:
        if len(calendar.week) != 7:
            raise NetworkError(
                f"calendar {calendar.id!r} ({calendar.name}) has a week pattern of "
                f"{len(calendar.week)} days instead of 7, Monday first; correct the calendar"
            )
    step_minutes = tick_minutes(calendars)
    ticks_per_day = MINUTES_PER_DAY // step_minutes
    days = (last_day - first_day).days + 1
    step = step_minutes / 60.0
    origin = datetime.combine(first_day, time())
    start_hours = (origin - data_date).total_seconds() / 3600.0
    tables: list[CalendarTable] = []
    index_of: dict[str, int] = {}
    seen: dict[bytes, int] = {}
    for calendar in calendars:
        working = _working_ticks(calendar, first_day, days, step_minutes, ticks_per_day)
        key = np.packbits(working).tobytes()
        if key not in seen:
            seen[key] = len(tables)
            tables.append(_table(calendar, working, start_hours, step))
        index_of[calendar.id] = seen[key]
    return CalendarSet(
        data_date=data_date,
        start_hours=start_hours,
        step_hours=step,
        ticks=days * ticks_per_day,
        tables=tuple(tables),
        index_of=index_of,
    )


def tick_minutes(calendars: Iterable[Calendar]) -> int:
    """Return the longest tick on which every period boundary falls (at least 5 minutes)."""
    step = MINUTES_PER_DAY
    for minute in _boundaries(calendars):
        step = math.gcd(step, minute)
    if step < MINIMUM_TICK_MINUTES:
        logger.warning(
            "calendar periods start or end on odd minutes; they are rounded to %d minutes",
            MINIMUM_TICK_MINUTES,
        )
        return MINIMUM_TICK_MINUTES
    return step


def _boundaries(calendars: Iterable[Calendar]) -> set[int]:
    minutes: set[int] = set()
    for calendar in calendars:
        days = list(calendar.week) + list(calendar.exceptions.values())
        for intervals in days:
            for interval in intervals:
                minutes.update(_interval_minutes(interval))
    return minutes


def _interval_minutes(interval: WorkInterval) -> tuple[int, int]:
    start = interval.start.hour * 60 + interval.start.minute
    finish = interval.finish.hour * 60 + interval.finish.minute or MINUTES_PER_DAY
    return start, max(finish, start)


def _day_pattern(
    intervals: tuple[WorkInterval, ...], step_minutes: int, ticks_per_day: int
) -> npt.NDArray[np.bool_]:
    pattern = np.zeros(ticks_per_day, dtype=np.bool_)
    for interval in intervals:
        start, finish = _interval_minutes(interval)
        pattern[round(start / step_minutes) : round(finish / step_minutes)] = True
    return pattern


def _working_ticks(
    calendar: Calendar, first_day: date, days: int, step_minutes: int, ticks_per_day: int
) -> npt.NDArray[np.bool_]:
    """Return one flag per tick of the range: True where the calendar works."""
    week = np.stack([_day_pattern(day, step_minutes, ticks_per_day) for day in calendar.week])
    weekdays = (first_day.weekday() + np.arange(days)) % 7
    grid = week[weekdays]
    for day, intervals in calendar.exceptions.items():
        offset = (day - first_day).days
        if 0 <= offset < days:
            grid[offset] = _day_pattern(intervals, step_minutes, ticks_per_day)
    working = grid.ravel()
    if not working.any():
        raise NetworkError(
            f"calendar {calendar.id!r} ({calendar.name}) has no working time between "
            f"{first_day} and {first_day + timedelta(days=days - 1)}; give it working days",
        )
    return working


def _table(
    calendar: Calendar, working: npt.NDArray[np.bool_], start_hours: float, step: float
) -> CalendarTable:
    flags = working.astype(np.float64)
    cumulative = np.concatenate(([0.0], np.cumsum(flags) * step))
    # Shift so that the data date (clock 0) has zero working hours.
    zero_tick = min(max(math.floor(-start_hours / step), 0), working.size - 1)
    at_zero = cumulative[zero_tick] + (-start_hours - zero_tick * step) * flags[zero_tick]
    cumulative -= at_zero
    from_clock = grid_map(start_hours, step, cumulative[:-1], working)
    positions = np.flatnonzero(working)
    to_clock = grid_map(
        float(cumulative[positions[0]]),
        step,
        np.asarray(start_hours + positions * step, dtype=np.float64),
        np.ones(positions.size, dtype=np.bool_),
    )
    return CalendarTable(calendar.id, calendar.name, from_clock, to_clock)
