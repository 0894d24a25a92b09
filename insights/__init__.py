"""Predictions, alerts and recommendations computed from a report's figures."""

from insights.engine import (
    DEFAULT_HORIZON_MONTHS,
    InsightOptions,
    category_insights,
    generate_insights,
    rank_insights,
)
from insights.facts import (
    ActivityRef,
    CriticalityFact,
    EarnedValueFacts,
    MilestoneRef,
    MonthFigure,
    ReportFacts,
    ResourceFacts,
    ResourceLoad,
    RiskFacts,
    ScheduleFacts,
    SimulationFacts,
)
from insights.loading import resource_facts
from insights.model import Category, Insight, InsightType, Priority, Thresholds, ValidationStatus
from insights.risk import risk_score

__all__ = [
    "DEFAULT_HORIZON_MONTHS",
    "ActivityRef",
    "Category",
    "CriticalityFact",
    "EarnedValueFacts",
    "Insight",
    "InsightOptions",
    "InsightType",
    "MilestoneRef",
    "MonthFigure",
    "Priority",
    "ReportFacts",
    "ResourceFacts",
    "ResourceLoad",
    "RiskFacts",
    "ScheduleFacts",
    "SimulationFacts",
    "Thresholds",
    "ValidationStatus",
    "category_insights",
    "generate_insights",
    "rank_insights",
    "resource_facts",
    "risk_score",
]
