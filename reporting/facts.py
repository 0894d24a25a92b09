"""Gathering a report's facts from the project and the results of each analysis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from earned_value import EacMethod, EarnedValueAnalysis
from insights import (
    ActivityRef,
    CriticalityFact,
    EarnedValueFacts,
    MilestoneRef,
    MonthFigure,
    ReportFacts,
    RiskFacts,
    ScheduleFacts,
    SimulationFacts,
    resource_facts,
)
from risk_analysis import CpmResult, SimulationResult
from risk_analysis.cpm import ActivitySchedule
from schedules.model import ActivityStatus, ImportWarning, Project

# Milestones due within this many days of the data date count as upcoming.
UPCOMING_DAYS = 90
_DEFAULT_HOURS_PER_DAY = 8.0


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100.0


def earned_value_facts(analysis: EarnedValueAnalysis) -> EarnedValueFacts:
    metrics = analysis.metrics
    schedule = analysis.earned_schedule
    by_cpi = metrics.forecast(EacMethod.CPI)
    return EarnedValueFacts(
        bac=metrics.bac,
        pv=metrics.pv,
        ev=metrics.ev,
        ac=metrics.ac,
        cv=metrics.cv,
        sv=metrics.sv,
        cpi=metrics.cpi,
        spi=metrics.spi,
        cv_percent=_fraction(metrics.cv_percent),
        sv_percent=_fraction(metrics.sv_percent),
        tcpi_to_bac=metrics.tcpi_to_bac,
        eac={
            method.value: metrics.forecast(method).eac
            for method in (EacMethod.CPI, EacMethod.ATYPICAL, EacMethod.COMPOSITE)
        },
        etc_cpi=by_cpi.etc,
        vac_cpi=by_cpi.vac,
        es_months=schedule.es if schedule else None,
        at_months=schedule.at if schedule else None,
        pd_months=schedule.pd if schedule else None,
        sv_t_months=schedule.sv_t if schedule else None,
        spi_t=schedule.spi_t if schedule else None,
        ieac_t_months=schedule.ieac_t if schedule else None,
        monthly=tuple(
            MonthFigure(
                month=point.month,
                pv=point.planned_value,
                ev=point.earned_value,
                ac=point.actual_cost,
                estimated=point.estimated,
            )
            for point in analysis.monthly
        ),
        excluded_budget=analysis.excluded_budget,
    )


def _hours_per_day(project: Project) -> float:
    calendars = project.calendars_by_id()
    calendar = calendars.get(project.default_calendar_id or "")
    if calendar is None and project.calendars:
        calendar = project.calendars[0]
    return (
        calendar.hours_per_day
        if calendar and calendar.hours_per_day > 0
        else _DEFAULT_HOURS_PER_DAY
    )


def _float_days(hours: float | None, hours_per_day: float) -> float | None:
    return None if hours is None else round(hours / hours_per_day, 1)


def schedule_facts(project: Project, cpm: CpmResult | None) -> ScheduleFacts:
    statuses = [activity.status for activity in project.activities]
    data_date = project.data_date.date()
    hours_per_day = _hours_per_day(project)
    critical: tuple[ActivityRef, ...] = ()
    near_critical = 0
    upcoming: list[MilestoneRef] = []
    slipped: list[MilestoneRef] = []
    if cpm is not None:
        records = {record.activity_id: record for record in cpm.schedules()}
        critical = tuple(
            _activity_ref(records[activity_id], hours_per_day)
            for activity_id in cpm.driving_path()
            if records[activity_id].total_float_hours is not None
        )
        near_critical = int(cpm.near_critical.sum())
        upcoming, slipped = _milestones(project, records, hours_per_day)
    return ScheduleFacts(
        data_date=data_date,
        planned_start=_day(project.planned_start),
        planned_finish=_day(project.planned_finish),
        forecast_finish=_day(cpm.project_finish) if cpm is not None else None,
        activities=len(statuses),
        completed=statuses.count(ActivityStatus.COMPLETED),
        in_progress=statuses.count(ActivityStatus.IN_PROGRESS),
        critical_path=critical,
        near_critical=near_critical,
        upcoming_milestones=tuple(upcoming),
        slipped_milestones=tuple(slipped),
    )


def _activity_ref(record: ActivitySchedule, hours_per_day: float) -> ActivityRef:
    return ActivityRef(
        code=record.code,
        name=record.name,
        start=_day(record.early_start),
        finish=_day(record.early_finish),
        total_float_days=_float_days(record.total_float_hours, hours_per_day),
    )


def _milestones(
    project: Project, records: dict[str, ActivitySchedule], hours_per_day: float
) -> tuple[list[MilestoneRef], list[MilestoneRef]]:
    horizon = project.data_date + timedelta(days=UPCOMING_DAYS)
    upcoming: list[MilestoneRef] = []
    slipped: list[MilestoneRef] = []
    for activity in project.activities:
        record = records.get(activity.id)
        if not activity.type.is_milestone or record is None:
            continue
        if activity.status is ActivityStatus.COMPLETED:
            continue
        forecast = (
            record.early_finish if activity.type.name.startswith("FINISH") else record.early_start
        )
        planned = activity.baseline_finish or activity.planned_finish
        milestone = MilestoneRef(
            code=activity.code,
            name=activity.name,
            forecast=_day(forecast),
            planned=_day(planned),
            total_float_days=_float_days(record.total_float_hours, hours_per_day),
        )
        if forecast is not None and forecast <= horizon:
            upcoming.append(milestone)
        if (milestone.slip_days or 0) > 0:
            slipped.append(milestone)
    upcoming.sort(key=lambda item: item.forecast or date.max)
    slipped.sort(key=lambda item: -(item.slip_days or 0))
    return upcoming, slipped


def _level_key(confidence: float) -> str:
    return f"p{round(confidence * 100)}"


def simulation_facts(
    project: Project, result: SimulationResult, cpm: CpmResult | None
) -> SimulationFacts:
    cost = result.cost
    finish = result.finish
    on_time = None
    working_time = cpm.network.working_time if cpm is not None else None
    if project.planned_finish is not None and working_time is not None:
        # The simulation measures finishes in working hours after the data date.
        allowed = working_time.hours_between(project.data_date, project.planned_finish)
        on_time = finish.probability_by(allowed)
    return SimulationFacts(
        iterations=result.iterations,
        cost_ratio={
            _level_key(p.confidence): p.ratio_to_budget
            for p in cost.percentiles
            if p.ratio_to_budget is not None
        },
        finish={_level_key(p.confidence): p.date.date() for p in finish.percentiles if p.date},
        mean_cost_ratio=cost.mean / cost.budget_at_completion
        if cost.budget_at_completion
        else 0.0,
        deterministic_finish=_day(finish.deterministic_date),
        probability_within_budget=cost.distribution.probability_at_most(cost.budget_at_completion),
        probability_on_time=on_time,
        criticality=tuple(
            CriticalityFact(code=item.code, name=item.name, index=item.index)
            for item in result.criticality
        ),
    )


def risk_facts(project: Project) -> RiskFacts:
    open_risks = [
        risk for risk in project.risks if risk.status.lower() not in ("closed", "retired")
    ]
    data_date = project.data_date.date()
    expected = 0.0
    for risk in open_risks:
        if risk.cost_impact is not None:
            impact = risk.cost_impact
            expected += (
                risk.probability
                * (impact.optimistic + impact.most_likely + impact.pessimistic)
                / 3
            )
    return RiskFacts(
        open_risks=len(open_risks),
        without_owner=tuple(risk.id for risk in open_risks if not risk.owner),
        past_due=tuple(
            risk.id
            for risk in open_risks
            if risk.due_date is not None and risk.due_date < data_date
        ),
        expected_cost_impact=expected,
    )


def build_facts(
    project: Project,
    *,
    report_month: str,
    earned_value: EarnedValueAnalysis,
    cpm: CpmResult | None,
    simulation: SimulationResult | None,
    warnings: Sequence[ImportWarning],
) -> ReportFacts:
    """Collect everything the report says about ``project`` for ``report_month``."""
    return ReportFacts(
        project_name=project.name,
        currency=project.currency,
        report_month=report_month,
        earned_value=earned_value_facts(earned_value),
        schedule=schedule_facts(project, cpm),
        simulation=simulation_facts(project, simulation, cpm) if simulation is not None else None,
        risks=risk_facts(project),
        quality_warnings=tuple(warnings),
        resources=resource_facts(project, _forecast_windows(cpm)),
    )


def _forecast_windows(cpm: CpmResult | None) -> dict[str, tuple[datetime, datetime]]:
    """Forecast start and finish of each activity's remaining work, from the CPM pass."""
    if cpm is None:
        return {}
    return {
        record.activity_id: (record.early_start, record.early_finish)
        for record in cpm.schedules()
        if record.early_start is not None and record.early_finish is not None
    }
