"""Run every insight rule over a report's facts."""

from __future__ import annotations

from collections.abc import Collection

from insights.budget import budget_insights
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.quality import quality_insights
from insights.risk import risk_insights
from insights.schedule import schedule_insights

_PRIORITY_ORDER = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


def generate_insights(
    facts: ReportFacts,
    *,
    thresholds: Thresholds | None = None,
    types: Collection[InsightType] | None = None,
    categories: Collection[Category] | None = None,
) -> list[Insight]:
    """Return the insights the facts support, most urgent first, filtered as asked."""
    limits = thresholds or Thresholds()
    found = [
        *budget_insights(facts, limits),
        *schedule_insights(facts, limits),
        *risk_insights(facts),
        *quality_insights(facts),
    ]
    selected = [
        insight
        for insight in found
        if (types is None or insight.insight_type in types)
        and (categories is None or insight.category in categories)
    ]
    return sorted(
        selected,
        key=lambda insight: (_PRIORITY_ORDER[insight.priority], -insight.confidence_score),
    )
