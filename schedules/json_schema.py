"""The documented JSON project format as pydantic models (see docs/project-format.md).

These models check each field on its own. Cross-references between sections (codes, ids,
calendars) are checked by ``schedules.json_format`` after this validation passes.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, time
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NaiveDatetime, model_validator

from schedules.constraints import ConstraintType
from schedules.model import (
    ActivityStatus,
    ActivityType,
    Distribution,
    PercentCompleteType,
    RelationshipType,
)
from schedules.values import MAX_AMOUNT

FORMAT_NAME = "enhanced-pmr-project"
FORMAT_VERSION = 1
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_INTERVAL = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    # allow_inf_nan=False rejects NaN and Infinity, whether literals, strings or overflows.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Money and resource units, in the project currency or the resource's unit.
Amount = Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]


class ThreePoint(_Strict):
    """Optimistic, most likely and pessimistic values and the distribution they define."""

    optimistic: Amount
    most_likely: Amount
    pessimistic: Amount
    distribution: Distribution = Distribution.TRIANGULAR

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.optimistic <= self.most_likely <= self.pessimistic:
            raise ValueError(
                f"values must satisfy optimistic <= most_likely <= pessimistic, got "
                f"{self.optimistic:g}, {self.most_likely:g}, {self.pessimistic:g}"
            )
        return self


def parse_interval(text: str) -> tuple[time, time]:
    """Parse a working period written ``HH:MM-HH:MM``; a finish of 24:00 means midnight."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"working time {text!r} must be written HH:MM-HH:MM, e.g. 08:00-12:00")
    start_hour, start_minute, finish_hour, finish_minute = (int(part) for part in match.groups())
    if start_hour == 24 or (finish_hour == 24 and finish_minute):
        raise ValueError(f"working time {text!r} is outside 00:00-24:00")
    start, finish = time(start_hour, start_minute), time(finish_hour % 24, finish_minute)
    if finish_hour != 24 and finish <= start:
        raise ValueError(f"working time {text!r} must finish after it starts")
    return start, finish


def _check_interval(value: str) -> str:
    parse_interval(value)
    return value


WorkingTime = Annotated[str, AfterValidator(_check_interval)]


def _check_not_negative(estimate: ThreePoint) -> ThreePoint:
    if estimate.optimistic < 0:
        raise ValueError(
            f"an activity's duration or cost cannot be negative, so its estimate must not be "
            f"either (optimistic {estimate.optimistic:g})"
        )
    return estimate


# An activity's own estimate: a risk impact may be negative (an opportunity), this may not.
ActivityEstimate = Annotated[ThreePoint, AfterValidator(_check_not_negative)]


class CalendarException(_Strict):
    """A dated change to the week: a holiday when ``working_times`` is empty."""

    # The module is named here because the field ``date`` hides the type in this class.
    date: dt.date
    to: dt.date | None = None
    name: str = ""
    working_times: list[WorkingTime] = []

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.to is not None and self.to < self.date:
            raise ValueError(f"'to' ({self.to}) must not be before 'date' ({self.date})")
        return self


class CalendarEntry(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    hours_per_day: float = Field(gt=0, le=24)
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    week: dict[Weekday, list[WorkingTime]]
    exceptions: list[CalendarException] = []


class WbsEntry(_Strict):
    id: str = Field(min_length=1)
    code: str | None = None
    name: str
    parent: str | None = None


class ResourceEntry(_Strict):
    id: str = Field(min_length=1)
    name: str
    type: Literal["labor", "nonlabor", "material", "cost"] = "labor"
    unit: str | None = None
    calendar: str | None = None


class Constraint(_Strict):
    type: ConstraintType
    date: NaiveDatetime | None = None


class ActivityEntry(_Strict):
    code: str = Field(min_length=1)
    name: str
    type: ActivityType = ActivityType.TASK
    status: ActivityStatus | None = None
    wbs: str | None = None
    calendar: str | None = None
    percent_complete_type: PercentCompleteType = PercentCompleteType.DURATION
    percent_complete: float | None = Field(default=None, ge=0, le=1)
    original_duration: float = Field(ge=0)
    remaining_duration: float | None = Field(default=None, ge=0)
    planned_start: NaiveDatetime | None = None
    planned_finish: NaiveDatetime | None = None
    early_start: NaiveDatetime | None = None
    early_finish: NaiveDatetime | None = None
    late_start: NaiveDatetime | None = None
    late_finish: NaiveDatetime | None = None
    actual_start: NaiveDatetime | None = None
    actual_finish: NaiveDatetime | None = None
    baseline_start: NaiveDatetime | None = None
    baseline_finish: NaiveDatetime | None = None
    total_float: float | None = None
    free_float: float | None = None
    constraint: Constraint | None = None
    budgeted_cost: Amount | None = None
    actual_cost: Amount | None = None
    remaining_cost: Amount | None = None
    budgeted_units: Amount | None = None
    actual_units: Amount | None = None
    remaining_units: Amount | None = None
    duration_estimate: ActivityEstimate | None = None
    cost_estimate: ActivityEstimate | None = None
    notes: str = ""


class RelationshipEntry(_Strict):
    predecessor: str
    successor: str
    type: RelationshipType = RelationshipType.FS
    lag: float = 0.0


class AssignmentEntry(_Strict):
    id: str | None = None
    activity: str
    resource: str | None = None
    budgeted_cost: Amount = 0.0
    actual_cost: Amount = 0.0
    remaining_cost: Amount = 0.0
    budgeted_units: Amount = 0.0
    actual_units: Amount = 0.0
    remaining_units: Amount = 0.0
    planned_start: NaiveDatetime | None = None
    planned_finish: NaiveDatetime | None = None


class RiskEntry(_Strict):
    id: str = Field(min_length=1)
    title: str
    description: str = ""
    probability: float = Field(ge=0, le=1)
    duration_impact: ThreePoint | None = None
    cost_impact: ThreePoint | None = None
    affected_activities: list[str] = []
    owner: str | None = None
    status: Literal["open", "closed", "occurred", "mitigated"] = "open"
    due_date: date | None = None


class MonthlyActualEntry(_Strict):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    actual_cost: Amount
    earned_value: Amount | None = None
    planned_value: Amount | None = None


class ProjectHeader(_Strict):
    id: str = Field(min_length=1)
    code: str = ""
    name: str = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    data_date: NaiveDatetime
    planned_start: NaiveDatetime | None = None
    planned_finish: NaiveDatetime | None = None
    default_calendar: str | None = None
    duration_unit: Literal["days", "hours"] = "days"


class ProjectDocument(_Strict):
    """A whole project file: the header and every section."""

    format: Literal["enhanced-pmr-project"]
    version: Literal[1]
    project: ProjectHeader
    calendars: list[CalendarEntry] = []
    wbs: list[WbsEntry] = []
    resources: list[ResourceEntry] = []
    activities: list[ActivityEntry] = Field(min_length=1)
    relationships: list[RelationshipEntry] = []
    assignments: list[AssignmentEntry] = []
    risks: list[RiskEntry] = []
    monthly_actuals: list[MonthlyActualEntry] = []
