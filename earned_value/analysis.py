"""Earned value analysis of a whole project at a status date, in monthly periods.

BAC, EV and AC are summed over the activities as the schedule states them at its data date.
PV comes from the time-phased budget at the status date. Earned schedule runs on monthly
periods from the plan's start: AT, ES and PD are in months, which is what a monthly report
uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from earned_value.actuals import (
    ActualsSource,
    MonthlyActuals,
    actual_cost,
    earned_value,
    monthly_actuals,
    reported_months,
)
from earned_value.errors import InvalidFigureError
from earned_value.metrics import EarnedValueMetrics, compute_metrics
from earned_value.periods import add_months, last_day, month_ends, month_label, months_between
from earned_value.schedule import EarnedSchedule, earned_schedule, schedule_figures
from earned_value.timephase import (
    ExcludedActivity,
    TimePhasedBudget,
    plan_window,
    time_phase,
    usable,
)
from schedules.model import ActivityStatus, Project

logger = logging.getLogger(__name__)

PERIOD_UNIT = "month"


@dataclass(frozen=True, slots=True)
class MonthlyPoint:
    """Cumulative PV, EV and AC at the end of one calendar month."""

    month: str  # YYYY-MM
    period_end: date  # last day of the month, included in the figures
    planned_value: float
    earned_value: float | None  # None when not reported or after the data date
    actual_cost: float | None  # None when not reported or after the data date
    estimated: bool  # True when EV and AC were spread from activity totals, not reported

    def to_dict(self) -> dict[str, object]:
        """Return the fields keyed by name, the date as an ISO string, ready for JSON."""
        return {
            "month": self.month,
            "period_end": self.period_end.isoformat(),
            "planned_value": self.planned_value,
            "earned_value": self.earned_value,
            "actual_cost": self.actual_cost,
            "estimated": self.estimated,
        }


@dataclass(frozen=True, slots=True)
class EarnedValueAnalysis:
    """Earned value and earned schedule of one project at one status date.

    ``earned_schedule`` is None when no activity could be time-phased. ``excluded`` lists
    the budget left out of PV because it had no usable dates. ``calendar_fallbacks`` lists
    the activities spread on the project default calendar or elapsed time, not their own.
    """

    project_name: str
    currency: str
    data_date: datetime
    status_date: datetime
    metrics: EarnedValueMetrics
    earned_schedule: EarnedSchedule | None
    plan_start: datetime | None
    plan_finish: datetime | None
    monthly: tuple[MonthlyPoint, ...]
    actuals_source: ActualsSource
    time_phased_budget: float
    excluded: tuple[ExcludedActivity, ...]
    excluded_budget: float
    calendar_fallbacks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the analysis as JSON-ready values: numbers, None, ISO date strings."""
        return {
            "project_name": self.project_name,
            "currency": self.currency,
            "data_date": self.data_date.isoformat(),
            "status_date": self.status_date.isoformat(),
            "period_unit": PERIOD_UNIT,
            "metrics": self.metrics.to_dict(),
            "earned_schedule": (
                self.earned_schedule.to_dict() if self.earned_schedule is not None else None
            ),
            "plan_start": _iso(self.plan_start),
            "plan_finish": _iso(self.plan_finish),
            "monthly": [point.to_dict() for point in self.monthly],
            "actuals_source": self.actuals_source.value,
            "time_phased_budget": self.time_phased_budget,
            "excluded": [activity.to_dict() for activity in self.excluded],
            "excluded_budget": self.excluded_budget,
            "calendar_fallbacks": list(self.calendar_fallbacks),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _bottom_up_etc(project: Project) -> float | None:
    """Return the remaining cost the schedule re-estimated, or None when it has none.

    All-zero remaining costs on unfinished costed work mean the source carried no estimate,
    not that the work is free, so no bottom-up figure is given then.
    """
    remaining = sum(activity.remaining_cost for activity in project.activities)
    unfinished = any(
        activity.budgeted_cost != 0 and activity.status is not ActivityStatus.COMPLETED
        for activity in project.activities
    )
    return remaining if remaining != 0 or not unfinished else None


def _earned_schedule(
    budget: TimePhasedBudget,
    window: tuple[datetime, datetime],
    status_date: datetime,
    phased_ev: float,
) -> EarnedSchedule | None:
    start, finish = window
    if finish <= start:
        return None
    boundaries = [start, *(end for end in month_ends(start, finish) if end < finish), finish]
    positions = [months_between(start, boundary) for boundary in boundaries]
    planned = budget.planned_values_at(boundaries).tolist()
    return schedule_figures(
        es=earned_schedule(planned, phased_ev, positions),
        at=months_between(start, status_date),
        pd=positions[-1],
    )


def _series_window(
    project: Project, window: tuple[datetime, datetime] | None
) -> tuple[datetime, datetime] | None:
    """Return the months to report: the plan window widened to every reported month."""
    reported = reported_months(project)
    moments = [*reported, *(add_months(month, 1) for month in reported)]
    if window is not None:
        moments.extend(window)
    if not moments:
        return None
    return min(moments), max(moments)


def _monthly(
    project: Project, budget: TimePhasedBudget, window: tuple[datetime, datetime] | None
) -> tuple[tuple[MonthlyPoint, ...], ActualsSource]:
    series = _series_window(project, window)
    if series is None:
        return (), ActualsSource.REPORTED if project.monthly_actuals else ActualsSource.ESTIMATED
    ends = month_ends(*series)
    planned = budget.planned_values_at(ends).tolist()
    actuals: MonthlyActuals = monthly_actuals(project, budget.clocks, ends)
    estimated = actuals.source is ActualsSource.ESTIMATED
    points = tuple(
        MonthlyPoint(
            month=month_label(end),
            period_end=last_day(end),
            planned_value=pv,
            earned_value=ev,
            actual_cost=ac,
            estimated=estimated and (ev is not None or ac is not None),
        )
        for end, pv, ev, ac in zip(
            ends, planned, actuals.earned_value, actuals.actual_cost, strict=True
        )
    )
    return points, actuals.source


def _check_instant(name: str, moment: datetime) -> None:
    if not usable(moment):
        raise InvalidFigureError(
            f"{name} {moment:%Y-%m-%d} is outside the years 1900 to 2200; give a real date"
        )


def analyse(project: Project, *, status_date: datetime | None = None) -> EarnedValueAnalysis:
    """Compute earned value, earned schedule and the monthly series of ``project``.

    PV is taken at ``status_date``, the project's data date by default. EV and AC are the
    schedule's own figures at its data date. Raises ``InvalidFigureError`` for a NaN or
    infinite cost, a percent complete outside 0 to 1, or a date outside 1900 to 2200.
    """
    status = status_date if status_date is not None else project.data_date
    _check_instant("data date", project.data_date)
    _check_instant("status date", status)

    budget = time_phase(project)
    earned = [earned_value(activity) for activity in project.activities]
    phased_ids = {activity.activity_id for activity in budget.activities}
    # Excluded budget has no PV, so earned schedule compares it with the phased EV only.
    phased_ev = sum(
        value
        for activity, value in zip(project.activities, earned, strict=True)
        if activity.id in phased_ids
    )
    metrics = compute_metrics(
        bac=project.budget_at_completion,
        pv=budget.planned_value_at(status),
        ev=sum(earned),
        ac=sum(actual_cost(activity) for activity in project.activities),
        bottom_up_etc=_bottom_up_etc(project),
    )

    window = plan_window(project, budget)
    schedule = None if window is None else _earned_schedule(budget, window, status, phased_ev)
    monthly, source = _monthly(project, budget, window)
    logger.debug(
        "analysed %r at %s: %d months, %d activities excluded from PV",
        project.name,
        status,
        len(monthly),
        len(budget.excluded),
    )
    return EarnedValueAnalysis(
        project_name=project.name,
        currency=project.currency,
        data_date=project.data_date,
        status_date=status,
        metrics=metrics,
        earned_schedule=schedule,
        plan_start=window[0] if window is not None else None,
        plan_finish=window[1] if window is not None else None,
        monthly=monthly,
        actuals_source=source,
        time_phased_budget=budget.total,
        excluded=budget.excluded,
        excluded_budget=budget.excluded_budget,
        calendar_fallbacks=budget.calendar_fallbacks,
    )
