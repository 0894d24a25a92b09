"""The project schedule as every reader produces it and every analysis consumes it.

Durations and lags are in working hours of the activity's calendar, money is in the
project currency, and datetimes are naive local project time, as P6 and Microsoft
Project store them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class ActivityType(StrEnum):
    TASK = "task"
    START_MILESTONE = "start_milestone"
    FINISH_MILESTONE = "finish_milestone"
    LEVEL_OF_EFFORT = "level_of_effort"
    WBS_SUMMARY = "wbs_summary"
    RESOURCE_DEPENDENT = "resource_dependent"

    @property
    def is_milestone(self) -> bool:
        return self in (ActivityType.START_MILESTONE, ActivityType.FINISH_MILESTONE)

    @property
    def is_summary(self) -> bool:
        """Level-of-effort and WBS summaries span other work and carry no logic of their own."""
        return self in (ActivityType.LEVEL_OF_EFFORT, ActivityType.WBS_SUMMARY)


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class PercentCompleteType(StrEnum):
    """How an activity's percent complete is measured (P6's complete_pct_type)."""

    DURATION = "duration"
    PHYSICAL = "physical"
    UNITS = "units"


class RelationshipType(StrEnum):
    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


class Distribution(StrEnum):
    TRIANGULAR = "triangular"
    PERT = "pert"
    UNIFORM = "uniform"
    NORMAL = "normal"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True, slots=True)
class WorkInterval:
    """One working period within a day, for example 08:00 to 16:00."""

    start: time
    finish: time

    @property
    def hours(self) -> float:
        start = self.start.hour + self.start.minute / 60
        # 00:00 as a finish means midnight at the end of the day.
        finish = self.finish.hour + self.finish.minute / 60 or 24.0
        return max(finish - start, 0.0)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working time: a weekly pattern plus dated exceptions.

    ``week`` has seven entries, Monday first; an empty entry is a non-working day.
    ``exceptions`` maps a date to the intervals worked that day (empty for a holiday).
    """

    id: str
    name: str
    hours_per_day: float
    hours_per_week: float
    week: tuple[tuple[WorkInterval, ...], ...]
    exceptions: Mapping[date, tuple[WorkInterval, ...]] = field(default_factory=dict)

    def intervals_on(self, day: date) -> tuple[WorkInterval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.week[day.weekday()]


@dataclass(frozen=True, slots=True)
class ThreePointEstimate:
    """Optimistic, most likely and pessimistic values with the distribution they define."""

    optimistic: float
    most_likely: float
    pessimistic: float
    distribution: Distribution = Distribution.TRIANGULAR


@dataclass(frozen=True, slots=True)
class WbsNode:
    id: str
    code: str
    name: str
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class Activity:
    """One schedule activity with its dates, progress and cost rolled up from assignments.

    ``percent_complete`` is the fraction (0 to 1) measured by ``percent_complete_type``,
    as the source file states it; earned value uses it.
    """

    id: str
    code: str
    name: str
    type: ActivityType
    status: ActivityStatus
    wbs_id: str | None = None
    calendar_id: str | None = None
    percent_complete_type: PercentCompleteType = PercentCompleteType.DURATION
    percent_complete: float = 0.0
    original_duration_hours: float = 0.0
    remaining_duration_hours: float = 0.0
    planned_start: datetime | None = None
    planned_finish: datetime | None = None
    early_start: datetime | None = None
    early_finish: datetime | None = None
    late_start: datetime | None = None
    late_finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    baseline_start: datetime | None = None
    baseline_finish: datetime | None = None
    total_float_hours: float | None = None
    free_float_hours: float | None = None
    constraint_type: str | None = None
    constraint_date: datetime | None = None
    budgeted_cost: float = 0.0
    actual_cost: float = 0.0
    remaining_cost: float = 0.0
    budgeted_units: float = 0.0
    actual_units: float = 0.0
    remaining_units: float = 0.0
    duration_estimate: ThreePointEstimate | None = None
    cost_estimate: ThreePointEstimate | None = None
    notes: str = ""

    @property
    def at_completion_cost(self) -> float:
        return self.actual_cost + self.remaining_cost


# The datetime fields of an Activity other than its constraint date, in schedule order.
ACTIVITY_DATE_FIELDS = (
    "planned_start",
    "planned_finish",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "actual_start",
    "actual_finish",
    "baseline_start",
    "baseline_finish",
)


@dataclass(frozen=True, slots=True)
class Relationship:
    predecessor_id: str
    successor_id: str
    type: RelationshipType = RelationshipType.FS
    lag_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    name: str
    type: str = "labor"
    unit: str | None = None
    calendar_id: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A resource on an activity, with the cost and units P6 calls budgeted, actual, remaining."""

    id: str
    activity_id: str
    resource_id: str | None
    budgeted_cost: float = 0.0
    actual_cost: float = 0.0
    remaining_cost: float = 0.0
    budgeted_units: float = 0.0
    actual_units: float = 0.0
    remaining_units: float = 0.0
    planned_start: datetime | None = None
    planned_finish: datetime | None = None


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk register entry: an event that may happen and what it does to the work.

    ``duration_impact_hours`` and ``cost_impact`` are added to each affected activity
    in an iteration where the risk occurs.
    """

    id: str
    title: str
    probability: float
    description: str = ""
    duration_impact_hours: ThreePointEstimate | None = None
    cost_impact: ThreePointEstimate | None = None
    affected_activity_ids: tuple[str, ...] = ()
    owner: str | None = None
    status: str = "open"
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class MonthlyActual:
    """Cumulative figures reported at the end of one month (a financial period snapshot)."""

    month: str  # YYYY-MM
    actual_cost: float
    earned_value: float | None = None
    planned_value: float | None = None


@dataclass(frozen=True, slots=True)
class Project:
    """A whole imported schedule; every collection is in source order."""

    source_id: str
    name: str
    currency: str
    data_date: datetime
    source_format: str
    code: str = ""
    planned_start: datetime | None = None
    planned_finish: datetime | None = None
    default_calendar_id: str | None = None
    calendars: tuple[Calendar, ...] = ()
    wbs: tuple[WbsNode, ...] = ()
    activities: tuple[Activity, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    resources: tuple[Resource, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    risks: tuple[Risk, ...] = ()
    monthly_actuals: tuple[MonthlyActual, ...] = ()

    @property
    def budget_at_completion(self) -> float:
        return sum(activity.budgeted_cost for activity in self.activities)

    @property
    def actual_cost(self) -> float:
        return sum(activity.actual_cost for activity in self.activities)

    def calendars_by_id(self) -> dict[str, Calendar]:
        return {calendar.id: calendar for calendar in self.calendars}


@dataclass(frozen=True, slots=True)
class ImportWarning:
    """A data-quality finding: the import went on, and ``message`` says what was done."""

    code: str
    message: str
    activity_codes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "activity_codes": list(self.activity_codes),
        }


@dataclass(frozen=True, slots=True)
class ImportResult:
    project: Project
    warnings: tuple[ImportWarning, ...] = ()
