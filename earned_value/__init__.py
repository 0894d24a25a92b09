"""Earned value and earned schedule of a project schedule at a status date."""

from earned_value.actuals import ActualsSource
from earned_value.analysis import EarnedValueAnalysis, MonthlyPoint, analyse
from earned_value.errors import EarnedValueError, InvalidFigureError, TimePhasingError
from earned_value.metrics import (
    EacMethod,
    EarnedValueMetrics,
    Forecast,
    compute_metrics,
    estimate_at_completion,
    to_complete_performance_index,
)
from earned_value.schedule import (
    EarnedSchedule,
    analyse_schedule,
    earned_schedule,
    schedule_figures,
)
from earned_value.timephase import (
    DateSource,
    ExcludedActivity,
    MonthlyValue,
    PhasedActivity,
    TimePhasedBudget,
    plan_window,
    time_phase,
)

__all__ = [
    "ActualsSource",
    "DateSource",
    "EacMethod",
    "EarnedSchedule",
    "EarnedValueAnalysis",
    "EarnedValueError",
    "EarnedValueMetrics",
    "ExcludedActivity",
    "Forecast",
    "InvalidFigureError",
    "MonthlyPoint",
    "MonthlyValue",
    "PhasedActivity",
    "TimePhasedBudget",
    "TimePhasingError",
    "analyse",
    "analyse_schedule",
    "compute_metrics",
    "earned_schedule",
    "estimate_at_completion",
    "plan_window",
    "schedule_figures",
    "time_phase",
    "to_complete_performance_index",
]
