"""Conversion of a validated JSON project document into the schedule model.

Durations, lags, float and duration estimates are converted from the document's unit to
hours with the hours per day of the calendar that applies. An activity's durations, float and
estimates use its own calendar, a lag uses the predecessor's, and risk impacts use the
project's default calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from schedules.errors import InvalidProjectError
from schedules.json_schema import (
    WEEKDAYS,
    ActivityEntry,
    CalendarEntry,
    ProjectDocument,
    ThreePoint,
    parse_interval,
)
from schedules.model import (
    Activity,
    ActivityStatus,
    Assignment,
    Calendar,
    MonthlyActual,
    PercentCompleteType,
    Project,
    Relationship,
    Resource,
    Risk,
    ThreePointEstimate,
    WbsNode,
    WorkInterval,
)
from schedules.values import MAX_HOURS

MAX_LISTED_PROBLEMS = 5
STANDARD_CALENDAR_ID = "standard"
_STANDARD_DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
_STANDARD_CALENDAR = Calendar(
    STANDARD_CALENDAR_ID, "Standard 5 x 8", 8.0, 40.0, (_STANDARD_DAY,) * 5 + ((), ())
)
# Money is compared to the cent when an activity's cost is checked against its assignments.
_COST_TOLERANCE = 0.005
_COST_FIELDS = ("budgeted_cost", "actual_cost", "remaining_cost")
_UNIT_FIELDS = ("budgeted_units", "actual_units", "remaining_units")


def summarise(problems: Sequence[str]) -> str:
    listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more problems" if more > 0 else ""
    return f"the project file is invalid: {listed}{suffix}. Fix the file and import it again."


@dataclass(slots=True)
class Problems:
    """Problems found in a document, each as ``path: message``."""

    items: list[str] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidProjectError(summarise(self.items))


class ProjectBuilder:
    """Turns a validated document into the model, converting durations to hours."""

    def __init__(self, document: ProjectDocument, problems: Problems) -> None:
        self.document = document
        self.problems = problems
        self.calendars = tuple(_calendar(entry) for entry in document.calendars) or (
            _STANDARD_CALENDAR,
        )
        by_id = {calendar.id: calendar for calendar in self.calendars}
        self.default_calendar = by_id[document.project.default_calendar or self.calendars[0].id]
        self.calendar_of = {
            a.code: by_id[a.calendar] if a.calendar else self.default_calendar
            for a in document.activities
        }

    def hours(self, value: float, calendar: Calendar, path: str) -> float:
        """Convert a value in the duration unit to hours, reporting one beyond ``MAX_HOURS``."""
        unit = self.document.project.duration_unit
        hours = value if unit == "hours" else value * calendar.hours_per_day
        if abs(hours) > MAX_HOURS:
            self.problems.add(
                path,
                f"{value:,.6g} {unit} is {hours:,.0f} hours, beyond the {MAX_HOURS:,.0f} hours "
                "a schedule can span",
            )
        return hours

    def estimate(
        self, entry: ThreePoint | None, calendar: Calendar | None, path: str
    ) -> ThreePointEstimate | None:
        if entry is None:
            return None
        if calendar is None:
            return ThreePointEstimate(
                entry.optimistic, entry.most_likely, entry.pessimistic, entry.distribution
            )
        return ThreePointEstimate(
            self.hours(entry.optimistic, calendar, f"{path}.optimistic"),
            self.hours(entry.most_likely, calendar, f"{path}.most_likely"),
            self.hours(entry.pessimistic, calendar, f"{path}.pessimistic"),
            entry.distribution,
        )

    def build(self) -> Project:
        header = self.document.project
        assignments = self._assignments()
        return Project(
            source_id=header.id,
            name=header.name,
            code=header.code,
            currency=header.currency,
            data_date=header.data_date,
            source_format="json",
            planned_start=header.planned_start,
            planned_finish=header.planned_finish,
            default_calendar_id=self.default_calendar.id,
            calendars=self.calendars,
            wbs=tuple(
                WbsNode(node.id, node.code or node.id, node.name, node.parent)
                for node in self.document.wbs
            ),
            activities=self._activities(assignments),
            relationships=tuple(
                Relationship(
                    link.predecessor,
                    link.successor,
                    link.type,
                    self.hours(
                        link.lag, self.calendar_of[link.predecessor], f"$.relationships[{i}].lag"
                    ),
                )
                for i, link in enumerate(self.document.relationships)
            ),
            resources=tuple(
                Resource(r.id, r.name, r.type, r.unit, r.calendar) for r in self.document.resources
            ),
            assignments=assignments,
            risks=self._risks(),
            monthly_actuals=tuple(
                MonthlyActual(m.month, m.actual_cost, m.earned_value, m.planned_value)
                for m in self.document.monthly_actuals
            ),
        )

    def _assignments(self) -> tuple[Assignment, ...]:
        return tuple(
            Assignment(
                id=entry.id or f"{entry.activity}/{entry.resource or 'expense'}/{index}",
                activity_id=entry.activity,
                resource_id=entry.resource,
                budgeted_cost=entry.budgeted_cost,
                actual_cost=entry.actual_cost,
                remaining_cost=entry.remaining_cost,
                budgeted_units=entry.budgeted_units,
                actual_units=entry.actual_units,
                remaining_units=entry.remaining_units,
                planned_start=entry.planned_start,
                planned_finish=entry.planned_finish,
            )
            for index, entry in enumerate(self.document.assignments)
        )

    def _activities(self, assignments: Sequence[Assignment]) -> tuple[Activity, ...]:
        totals: dict[str, dict[str, float]] = {}
        for assignment in assignments:
            total = totals.setdefault(
                assignment.activity_id, dict.fromkeys(_COST_FIELDS + _UNIT_FIELDS, 0.0)
            )
            for name in _COST_FIELDS + _UNIT_FIELDS:
                total[name] += getattr(assignment, name)
        return tuple(
            self._activity(index, entry, totals.get(entry.code))
            for index, entry in enumerate(self.document.activities)
        )

    def _activity(
        self, index: int, entry: ActivityEntry, totals: dict[str, float] | None
    ) -> Activity:
        path = f"$.activities[{index}]"
        calendar = self.calendar_of[entry.code]
        status = entry.status or _derived_status(entry)
        original = self.hours(entry.original_duration, calendar, f"{path}.original_duration")
        remaining = self._remaining(path, entry, status, original, calendar)
        amounts = {
            name: self._amount(path, entry, name, totals) for name in _COST_FIELDS + _UNIT_FIELDS
        }

        def float_hours(name: str) -> float | None:
            value: float | None = getattr(entry, name)
            return self.hours(value, calendar, f"{path}.{name}") if value is not None else None

        return Activity(
            id=entry.code,
            code=entry.code,
            name=entry.name,
            type=entry.type,
            status=status,
            wbs_id=entry.wbs,
            calendar_id=calendar.id,
            percent_complete_type=entry.percent_complete_type,
            percent_complete=self._percent(path, entry, status, original, remaining),
            original_duration_hours=original,
            remaining_duration_hours=remaining,
            planned_start=entry.planned_start,
            planned_finish=entry.planned_finish,
            early_start=entry.early_start,
            early_finish=entry.early_finish,
            late_start=entry.late_start,
            late_finish=entry.late_finish,
            actual_start=entry.actual_start,
            actual_finish=entry.actual_finish,
            baseline_start=entry.baseline_start,
            baseline_finish=entry.baseline_finish,
            total_float_hours=float_hours("total_float"),
            free_float_hours=float_hours("free_float"),
            constraint_type=entry.constraint.type.value if entry.constraint else None,
            constraint_date=entry.constraint.date if entry.constraint else None,
            duration_estimate=self.estimate(
                entry.duration_estimate, calendar, f"{path}.duration_estimate"
            ),
            cost_estimate=self.estimate(entry.cost_estimate, None, f"{path}.cost_estimate"),
            notes=entry.notes,
            **amounts,
        )

    def _remaining(
        self,
        path: str,
        entry: ActivityEntry,
        status: ActivityStatus,
        original: float,
        calendar: Calendar,
    ) -> float:
        if entry.remaining_duration is not None:
            return self.hours(entry.remaining_duration, calendar, f"{path}.remaining_duration")
        if status is ActivityStatus.COMPLETED:
            return 0.0
        if status is ActivityStatus.NOT_STARTED:
            return original
        if entry.percent_complete_type is PercentCompleteType.DURATION and (
            entry.percent_complete is not None
        ):
            return original * (1 - entry.percent_complete)
        self.problems.add(f"{path}.remaining_duration", "required for an in-progress activity")
        return original

    def _percent(
        self,
        path: str,
        entry: ActivityEntry,
        status: ActivityStatus,
        original: float,
        remaining: float,
    ) -> float:
        expected = {ActivityStatus.COMPLETED: 1.0, ActivityStatus.NOT_STARTED: 0.0}.get(status)
        if expected is not None:
            if entry.percent_complete not in (None, expected):
                self.problems.add(
                    f"{path}.percent_complete",
                    f"must be {expected:g} for a {status.value} activity "
                    f"(got {entry.percent_complete:g})",
                )
            return expected
        if entry.percent_complete is not None:
            return entry.percent_complete
        if entry.percent_complete_type is PercentCompleteType.DURATION and original > 0:
            return min(max((original - remaining) / original, 0.0), 1.0)
        self.problems.add(
            f"{path}.percent_complete",
            "required for an in-progress activity measured by "
            f"{entry.percent_complete_type.value}",
        )
        return 0.0

    def _amount(
        self, path: str, entry: ActivityEntry, name: str, totals: dict[str, float] | None
    ) -> float:
        stated: float | None = getattr(entry, name)
        if totals is None:
            return stated or 0.0
        if stated is not None and abs(stated - totals[name]) > _COST_TOLERANCE:
            self.problems.add(
                f"{path}.{name}",
                f"{stated:,.2f} differs from the sum of the activity's assignments, "
                f"{totals[name]:,.2f}; give the figure in one place only",
            )
        return totals[name]

    def _risks(self) -> tuple[Risk, ...]:
        return tuple(
            Risk(
                id=entry.id,
                title=entry.title,
                probability=entry.probability,
                description=entry.description,
                duration_impact_hours=self.estimate(
                    entry.duration_impact, self.default_calendar, f"$.risks[{i}].duration_impact"
                ),
                cost_impact=self.estimate(entry.cost_impact, None, f"$.risks[{i}].cost_impact"),
                affected_activity_ids=tuple(entry.affected_activities),
                owner=entry.owner,
                status=entry.status,
                due_date=entry.due_date,
            )
            for i, entry in enumerate(self.document.risks)
        )


def _derived_status(entry: ActivityEntry) -> ActivityStatus:
    if entry.actual_finish is not None:
        return ActivityStatus.COMPLETED
    if entry.actual_start is not None:
        return ActivityStatus.IN_PROGRESS
    return ActivityStatus.NOT_STARTED


def _calendar(entry: CalendarEntry) -> Calendar:
    week = tuple(_intervals(entry.week.get(day, [])) for day in WEEKDAYS)
    exceptions: dict[date, tuple[WorkInterval, ...]] = {}
    for exception in entry.exceptions:
        day, last = exception.date, exception.to or exception.date
        while day <= last:
            exceptions[day] = _intervals(exception.working_times)
            day += timedelta(days=1)
    week_hours = sum(interval.hours for day in week for interval in day)
    return Calendar(
        id=entry.id,
        name=entry.name or entry.id,
        hours_per_day=entry.hours_per_day,
        hours_per_week=entry.hours_per_week or week_hours,
        week=week,
        exceptions=exceptions,
    )


def _intervals(texts: Sequence[str]) -> tuple[WorkInterval, ...]:
    return tuple(WorkInterval(*parse_interval(text)) for text in texts)
