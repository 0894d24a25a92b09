"""Time-phased budget: each activity's budgeted cost spread over its dates, giving PV.

An activity's budget accrues linearly over the working hours of its calendar between its
start and finish, so PV at any instant is the sum of the budgets accrued by then. Dates come
from the planned dates, else the early dates, else the actual dates (actual start to actual
finish, or to early finish while the work runs). Started work tries its actual dates before
its early dates. Milestones put their whole budget at their date. Budget with no usable
dates is left out of PV and listed as excluded.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeGuard

from earned_value.errors import InvalidFigureError
from earned_value.periods import last_day, month_ends, month_label
from earned_value.spread import CalendarClocks, Span, SpreadCurve
from schedules.model import Activity, ActivityType, Project
from schedules.worktime import FloatArray

logger = logging.getLogger(__name__)

# The years that WorkingTime can place; a date outside them is treated as missing.
_FIRST_YEAR = 1900
_LAST_YEAR = 2200


class DateSource(StrEnum):
    """The date pair (planned, early or actual) an activity's budget was spread over."""

    PLANNED = "planned"
    EARLY = "early"
    ACTUAL = "actual"


@dataclass(frozen=True, slots=True)
class PhasedActivity:
    """An activity whose budget is in PV, with the dates and calendar it was spread over."""

    activity_id: str
    code: str
    budgeted_cost: float
    start: datetime
    finish: datetime
    date_source: DateSource
    calendar_id: str | None  # None: no usable calendar, so spread over elapsed time
    own_calendar: bool  # False when the project default or elapsed time stood in


@dataclass(frozen=True, slots=True)
class ExcludedActivity:
    """An activity with budget but no usable dates, so its budget is missing from PV."""

    activity_id: str
    code: str
    name: str
    budgeted_cost: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        """Return the fields keyed by name, ready for JSON."""
        return {
            "activity_id": self.activity_id,
            "code": self.code,
            "name": self.name,
            "budgeted_cost": self.budgeted_cost,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MonthlyValue:
    """A cumulative figure at the end of one calendar month."""

    month: str  # YYYY-MM
    period_end: date  # the last day of the month; the value includes that whole day
    value: float


def usable(moment: datetime | None) -> TypeGuard[datetime]:
    """Return whether ``moment`` is present and within the years working time can place."""
    return moment is not None and _FIRST_YEAR <= moment.year <= _LAST_YEAR


def _milestone_pair(
    activity: Activity, start: datetime | None, finish: datetime | None
) -> tuple[datetime | None, datetime | None]:
    preferred, other = (start, finish)
    if activity.type is not ActivityType.START_MILESTONE:
        preferred, other = finish, start
    moment = preferred if usable(preferred) else other
    return moment, moment


def choose_dates(activity: Activity) -> tuple[datetime, datetime, DateSource] | None:
    """Return the first usable start, finish and their source, or None when none is usable."""
    planned = (DateSource.PLANNED, activity.planned_start, activity.planned_finish)
    early = (DateSource.EARLY, activity.early_start, activity.early_finish)
    actual_finish = activity.actual_finish or activity.early_finish
    actual = (DateSource.ACTUAL, activity.actual_start, actual_finish)
    # Once work has started, P6 moves the early start to the data date, so the early dates
    # cover only the remaining work. The actual start to the finish covers all of it.
    started = usable(activity.actual_start)
    candidates = (planned, actual, early) if started else (planned, early, actual)
    for source, start, finish in candidates:
        if activity.type.is_milestone:
            start, finish = _milestone_pair(activity, start, finish)
        if usable(start) and usable(finish) and start <= finish:
            return start, finish, source
    return None


@dataclass(frozen=True, slots=True)
class TimePhasedBudget:
    """The budget of every activity with dates, spread over working time, and what was left out."""

    activities: tuple[PhasedActivity, ...]
    excluded: tuple[ExcludedActivity, ...]
    clocks: CalendarClocks = field(compare=False, repr=False)
    curve: SpreadCurve = field(compare=False, repr=False)

    @property
    def total(self) -> float:
        """The budget in PV: BAC less the excluded budget."""
        return self.curve.total

    @property
    def excluded_budget(self) -> float:
        """The budget of the excluded activities, missing from PV."""
        return sum(activity.budgeted_cost for activity in self.excluded)

    @property
    def start(self) -> datetime | None:
        """The earliest start of the phased activities."""
        return min((activity.start for activity in self.activities), default=None)

    @property
    def finish(self) -> datetime | None:
        """The latest finish of the phased activities, when PV reaches its total."""
        return max((activity.finish for activity in self.activities), default=None)

    @property
    def calendar_fallbacks(self) -> tuple[str, ...]:
        """Codes of phased activities whose own calendar was missing or had no working time."""
        return tuple(activity.code for activity in self.activities if not activity.own_calendar)

    def planned_value_at(self, instant: datetime) -> float:
        """Return the cumulative PV at ``instant``."""
        return self.curve.value_at(instant)

    def planned_values_at(self, instants: Sequence[datetime]) -> FloatArray:
        """Return the cumulative PV at each instant."""
        return self.curve.values_at(instants)

    def monthly(self, start: datetime, finish: datetime) -> tuple[MonthlyValue, ...]:
        """Return the cumulative PV at each month end from ``start``'s month to ``finish``'s."""
        ends = month_ends(start, finish)
        values = self.curve.values_at(ends)
        return tuple(
            MonthlyValue(month=month_label(end), period_end=last_day(end), value=float(value))
            for end, value in zip(ends, values, strict=True)
        )


def plan_window(project: Project, budget: TimePhasedBudget) -> tuple[datetime, datetime] | None:
    """Return the span of the plan: planned start to planned finish, widened to the phased dates.

    The start is the earlier of the project's planned start and the first phased start.
    The finish is the later of the project's planned finish and the last phased finish.
    So PV is zero before the window, unless a milestone sits on its start, and complete at
    its end.
    Returns None when neither the project nor any phased activity has dates.
    """
    starts = [moment for moment in (project.planned_start, budget.start) if usable(moment)]
    finishes = [moment for moment in (project.planned_finish, budget.finish) if usable(moment)]
    if not starts or not finishes:
        return None
    start = min(starts)
    finish = max(finishes)
    return start, max(start, finish)


def _check_cost(activity: Activity) -> None:
    if not math.isfinite(activity.budgeted_cost):
        raise InvalidFigureError(
            f"activity {activity.code!r} has budgeted cost {activity.budgeted_cost!r}; "
            "fix the cost in the schedule and import it again"
        )


def _clock_range(
    project: Project, dated: Sequence[tuple[datetime, datetime]]
) -> tuple[date, date]:
    moments = [moment for pair in dated for moment in pair]
    moments += [
        moment
        for moment in (project.planned_start, project.planned_finish, project.data_date)
        if usable(moment)
    ]
    if not moments:
        # Nothing to place: any range will do, because no span will be evaluated on it.
        return date(2000, 1, 1), date(2000, 12, 31)
    return min(moments).date(), max(moments).date()


def time_phase(project: Project) -> TimePhasedBudget:
    """Spread every activity's budgeted cost over its dates on its calendar's working time.

    Activities without budget are skipped. Raises ``InvalidFigureError`` for a budget that is
    NaN or infinite.
    """
    dated: list[tuple[Activity, tuple[datetime, datetime, DateSource]]] = []
    excluded: list[ExcludedActivity] = []
    for activity in project.activities:
        _check_cost(activity)
        if activity.budgeted_cost == 0:
            continue
        dates = choose_dates(activity)
        if dates is None:
            excluded.append(_excluded(activity))
        else:
            dated.append((activity, dates))

    first_day, last_day_ = _clock_range(
        project, [(start, finish) for _, (start, finish, _) in dated]
    )
    clocks = CalendarClocks(project.calendars, project.default_calendar_id, first_day, last_day_)
    phased = [_phased(activity, dates, clocks) for activity, dates in dated]
    spans = [
        Span(item.start, item.finish, item.budgeted_cost, item.calendar_id) for item in phased
    ]
    logger.debug(
        "time-phased %d activities, excluded %d without usable dates", len(phased), len(excluded)
    )
    return TimePhasedBudget(
        activities=tuple(phased),
        excluded=tuple(excluded),
        clocks=clocks,
        curve=SpreadCurve(spans, clocks),
    )


def _excluded(activity: Activity) -> ExcludedActivity:
    return ExcludedActivity(
        activity_id=activity.id,
        code=activity.code,
        name=activity.name,
        budgeted_cost=activity.budgeted_cost,
        reason=(
            "no planned, early or actual dates in order between the years "
            f"{_FIRST_YEAR} and {_LAST_YEAR}"
        ),
    )


def _phased(
    activity: Activity, dates: tuple[datetime, datetime, DateSource], clocks: CalendarClocks
) -> PhasedActivity:
    start, finish, source = dates
    key = clocks.key_for(activity.calendar_id)
    return PhasedActivity(
        activity_id=activity.id,
        code=activity.code,
        budgeted_cost=activity.budgeted_cost,
        start=start,
        finish=finish,
        date_source=source,
        calendar_id=key,
        own_calendar=key is not None and key == activity.calendar_id,
    )
