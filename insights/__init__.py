"""Predictions, alerts and recommendations computed from a report's figures."""

from insights.engine import generate_insights
from insights.facts import (
    ActivityRef,
    CriticalityFact,
    EarnedValueFacts,
    MilestoneRef,
    MonthFigure,
    ReportFacts,
    RiskFacts,
    ScheduleFacts,
    SimulationFacts,
)
from insights.model import Category, Insight, InsightType, Priority, Thresholds, ValidationStatus
from insights.risk import risk_score

__all__ = [
    "ActivityRef",
    "Category",
    "CriticalityFact",
    "EarnedValueFacts",
    "Insight",
    "InsightType",
    "MilestoneRef",
    "MonthFigure",
    "Priority",
    "ReportFacts",
    "RiskFacts",
    "ScheduleFacts",
    "SimulationFacts",
    "Thresholds",
    "ValidationStatus",
    "generate_insights",
    "risk_score",
]
