"""EV and AC per activity at the data date, and their history at past month ends.

The history comes from the project's reported monthly actuals when it has them. Otherwise
it is estimated by spreading each activity's actual cost and earned value linearly over
working time, from its actual start (else its time-phased start) to its actual finish or the
data date, whichever is earlier. An estimate shows where the money probably went, not what
was booked, so the result is flagged as estimated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from earned_value.errors import InvalidFigureError
from earned_value.periods import month_label
from earned_value.spread import CalendarClocks, Span, SpreadCurve
from earned_value.timephase import choose_dates, usable
from schedules.model import Activity, ActivityStatus, MonthlyActual, Project

# A reader may round a percent to slightly above 1; beyond this it is a data error.
_PERCENT_TOLERANCE = 1e-6
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ActualsSource(StrEnum):
    """The origin of the EV and AC of past months."""

    REPORTED = "reported"  # the project's monthly actuals, as booked
    ESTIMATED = "estimated"  # spread from each activity's totals over its actual dates


@dataclass(frozen=True, slots=True)
class MonthlyActuals:
    """Cumulative EV and AC at past month ends, None where unknown."""

    source: ActualsSource
    earned_value: tuple[float | None, ...]
    actual_cost: tuple[float | None, ...]


def percent_complete(activity: Activity) -> float:
    """Return the activity's fraction complete for EV: 1 when completed, else as read.

    Raises ``InvalidFigureError`` when the fraction is NaN or outside 0 to 1.
    """
    if activity.status is ActivityStatus.COMPLETED:
        return 1.0
    fraction = activity.percent_complete
    if not (math.isfinite(fraction) and -_PERCENT_TOLERANCE <= fraction <= 1 + _PERCENT_TOLERANCE):
        raise InvalidFigureError(
            f"activity {activity.code!r} has percent complete {fraction!r}; "
            "expected a fraction from 0 to 1, so fix it in the schedule and import it again"
        )
    return min(max(fraction, 0.0), 1.0)


def earned_value(activity: Activity) -> float:
    """Return the activity's EV: budgeted cost times fraction complete."""
    return activity.budgeted_cost * percent_complete(activity)


def actual_cost(activity: Activity) -> float:
    """Return the activity's actual cost, rejecting NaN and infinity."""
    if not math.isfinite(activity.actual_cost):
        raise InvalidFigureError(
            f"activity {activity.code!r} has actual cost {activity.actual_cost!r}; "
            "fix the cost in the schedule and import it again"
        )
    return activity.actual_cost


def _check_report(report: MonthlyActual) -> None:
    if not _MONTH.match(report.month):
        raise InvalidFigureError(
            f"monthly actual month {report.month!r} is invalid; expected YYYY-MM"
        )
    for name, value in (
        ("actual cost", report.actual_cost),
        ("earned value", report.earned_value),
    ):
        if value is not None and not math.isfinite(value):
            raise InvalidFigureError(
                f"monthly actual for {report.month} has {name} {value!r}; give a finite amount"
            )


def reported_months(project: Project) -> list[datetime]:
    """Return the first instant of each month with reported actuals, checking each report.

    Raises ``InvalidFigureError`` for a month not written YYYY-MM or a NaN or infinite amount.
    """
    for report in project.monthly_actuals:
        _check_report(report)
    return sorted(
        datetime(int(report.month[:4]), int(report.month[5:]), 1)
        for report in project.monthly_actuals
    )


def _reported(reports: Sequence[MonthlyActual], ends: Sequence[datetime]) -> MonthlyActuals:
    by_month: dict[str, MonthlyActual] = {}
    for report in reports:
        _check_report(report)
        by_month[report.month] = report
    earned: list[float | None] = []
    spent: list[float | None] = []
    for end in ends:
        found = by_month.get(month_label(end))
        earned.append(found.earned_value if found else None)
        spent.append(found.actual_cost if found else None)
    return MonthlyActuals(ActualsSource.REPORTED, tuple(earned), tuple(spent))


def _actual_span(activity: Activity, data_date: datetime) -> tuple[datetime, datetime]:
    finish = activity.actual_finish if usable(activity.actual_finish) else data_date
    finish = min(finish, data_date)
    start: datetime | None = activity.actual_start if usable(activity.actual_start) else None
    if start is None:
        dates = choose_dates(activity)
        start = dates[0] if dates is not None else finish
    return min(start, finish), finish


def _estimated(
    project: Project, clocks: CalendarClocks, ends: Sequence[datetime]
) -> MonthlyActuals:
    earned_spans: list[Span] = []
    cost_spans: list[Span] = []
    for activity in project.activities:
        earned, spent = earned_value(activity), actual_cost(activity)
        if earned == 0 and spent == 0:
            continue
        start, finish = _actual_span(activity, project.data_date)
        key = clocks.key_for(activity.calendar_id)
        earned_spans.append(Span(start, finish, earned, key))
        cost_spans.append(Span(start, finish, spent, key))
    past = [end for end in ends if end <= project.data_date]
    earned_values = SpreadCurve(earned_spans, clocks).values_at(past).tolist()
    costs = SpreadCurve(cost_spans, clocks).values_at(past).tolist()
    unknown: list[float | None] = [None] * (len(ends) - len(past))
    return MonthlyActuals(
        ActualsSource.ESTIMATED,
        tuple([*earned_values, *unknown]),
        tuple([*costs, *unknown]),
    )


def monthly_actuals(
    project: Project, clocks: CalendarClocks, ends: Sequence[datetime]
) -> MonthlyActuals:
    """Return cumulative EV and AC at each month end in ``ends`` (sorted), None where unknown.

    Reported monthly actuals are used when the project has any. Otherwise months ending on or
    before the data date are estimated and later months are None.
    """
    if project.monthly_actuals:
        return _reported(project.monthly_actuals, ends)
    return _estimated(project, clocks, ends)
