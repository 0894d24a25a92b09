"""The figures a report is written from, gathered from the analyses into one record.

Insights and narratives read only these records, so they stay independent of how each
analysis is computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from schedules.model import ImportWarning


@dataclass(frozen=True, slots=True)
class MonthFigure:
    """Cumulative PV, EV and AC at the end of one month; EV and AC are None for future months."""

    month: str
    pv: float
    ev: float | None
    ac: float | None
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class EarnedValueFacts:
    bac: float
    pv: float
    ev: float
    ac: float
    cv: float
    sv: float
    cpi: float | None
    spi: float | None
    cv_percent: float | None
    sv_percent: float | None
    tcpi_to_bac: float | None
    eac: Mapping[str, float | None]  # by method name: cpi, atypical, composite
    etc_cpi: float | None
    vac_cpi: float | None
    es_months: float | None
    at_months: float | None
    pd_months: float | None
    sv_t_months: float | None
    spi_t: float | None
    ieac_t_months: float | None
    monthly: tuple[MonthFigure, ...] = ()
    excluded_budget: float = 0.0

    @property
    def percent_complete(self) -> float | None:
        return self.ev / self.bac if self.bac else None

    @property
    def budget_utilization(self) -> float | None:
        return self.ac / self.bac if self.bac else None


@dataclass(frozen=True, slots=True)
class ActivityRef:
    code: str
    name: str
    start: date | None
    finish: date | None
    total_float_days: float | None


@dataclass(frozen=True, slots=True)
class MilestoneRef:
    code: str
    name: str
    forecast: date | None
    planned: date | None
    total_float_days: float | None

    @property
    def slip_days(self) -> int | None:
        if self.forecast is None or self.planned is None:
            return None
        return (self.forecast - self.planned).days


@dataclass(frozen=True, slots=True)
class ScheduleFacts:
    data_date: date
    planned_start: date | None
    planned_finish: date | None
    forecast_finish: date | None
    activities: int
    completed: int
    in_progress: int
    critical_path: tuple[ActivityRef, ...] = ()
    near_critical: int = 0
    upcoming_milestones: tuple[MilestoneRef, ...] = ()
    slipped_milestones: tuple[MilestoneRef, ...] = ()

    @property
    def finish_variance_days(self) -> int | None:
        """Forecast minus planned finish in calendar days; positive means late."""
        if self.forecast_finish is None or self.planned_finish is None:
            return None
        return (self.forecast_finish - self.planned_finish).days


@dataclass(frozen=True, slots=True)
class CriticalityFact:
    code: str
    name: str
    index: float


@dataclass(frozen=True, slots=True)
class SimulationFacts:
    iterations: int
    cost_ratio: Mapping[str, float]  # "p50" -> completion cost / BAC
    finish: Mapping[str, date]  # "p50" -> finish date
    mean_cost_ratio: float
    deterministic_finish: date | None
    probability_within_budget: float | None  # None when the analysis left cost out
    probability_on_time: float | None
    criticality: tuple[CriticalityFact, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskFacts:
    open_risks: int
    without_owner: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    expected_cost_impact: float = 0.0


@dataclass(frozen=True, slots=True)
class ResourceLoad:
    """One resource's work: what its assignments budgeted, spent and still need, by month.

    Units are the resource's own (hours, days, tonnes or money, as the schedule states
    them). ``demand`` holds the forecast units of each month from the data date on;
    ``demonstrated_rate`` is the most units the resource delivered in one past month.
    """

    resource_id: str
    name: str
    type: str
    unit: str | None
    assignments: int
    budgeted_cost: float
    actual_cost: float
    remaining_cost: float
    budgeted_units: float
    actual_units: float
    remaining_units: float
    history_months: int = 0
    demonstrated_rate: float | None = None
    demand: tuple[tuple[str, float], ...] = ()

    @property
    def budgeted_rate(self) -> float | None:
        """Budgeted cost per unit."""
        return self.budgeted_cost / self.budgeted_units if self.budgeted_units > 0 else None

    @property
    def actual_rate(self) -> float | None:
        """Cost per unit paid so far."""
        return self.actual_cost / self.actual_units if self.actual_units > 0 else None


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    loads: tuple[ResourceLoad, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Everything a monthly report says, for one project and month."""

    project_name: str
    currency: str
    report_month: str
    earned_value: EarnedValueFacts
    schedule: ScheduleFacts
    simulation: SimulationFacts | None = None
    risks: RiskFacts = field(default_factory=lambda: RiskFacts(open_risks=0))
    quality_warnings: tuple[ImportWarning, ...] = ()
    resources: ResourceFacts = field(default_factory=ResourceFacts)
