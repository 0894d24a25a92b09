"""Run the insight rules over a report's facts, one category at a time or all at once.

``category_insights`` is the unit a caller fans out (one Ray task per category);
``rank_insights`` filters and orders what the categories returned, and
``generate_insights`` does both in this process.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from insights.budget import budget_insights
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, Thresholds
from insights.quality import quality_insights
from insights.resource import resource_insights
from insights.risk import risk_insights
from insights.schedule import schedule_insights
from insights.trend import trend_insights

_PRIORITY_ORDER = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}
DEFAULT_HORIZON_MONTHS = 3


@dataclass(frozen=True, slots=True)
class InsightOptions:
    """How to generate: the limits, how far ahead to look, which categories come first."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    horizon_months: int = DEFAULT_HORIZON_MONTHS
    focus: tuple[Category, ...] = ()


def _budget(facts: ReportFacts, options: InsightOptions) -> list[Insight]:
    return [
        *budget_insights(facts, options.thresholds),
        *trend_insights(facts, options.thresholds, options.horizon_months),
    ]


_RULES: dict[Category, Callable[[ReportFacts, InsightOptions], list[Insight]]] = {
    Category.BUDGET: _budget,
    Category.SCHEDULE: lambda facts, options: schedule_insights(facts, options.thresholds),
    Category.RESOURCE: lambda facts, options: resource_insights(
        facts, options.thresholds, options.horizon_months
    ),
    Category.RISK: lambda facts, options: risk_insights(facts),
    Category.QUALITY: lambda facts, options: quality_insights(facts, options.thresholds),
}


def category_insights(
    facts: ReportFacts, category: Category, options: InsightOptions | None = None
) -> list[Insight]:
    """Return every insight of one category that the facts support."""
    return _RULES[category](facts, options or InsightOptions())


def rank_insights(
    found: Iterable[Insight],
    *,
    types: Collection[InsightType] | None = None,
    categories: Collection[Category] | None = None,
    focus: Collection[Category] = (),
) -> list[Insight]:
    """Keep the requested types and categories; order focus first, then by urgency."""
    selected = [
        insight
        for insight in found
        if (types is None or insight.insight_type in types)
        and (categories is None or insight.category in categories)
    ]
    return sorted(
        selected,
        key=lambda insight: (
            insight.category not in focus,
            _PRIORITY_ORDER[insight.priority],
            -insight.confidence_score,
        ),
    )


def generate_insights(
    facts: ReportFacts,
    *,
    thresholds: Thresholds | None = None,
    types: Collection[InsightType] | None = None,
    categories: Collection[Category] | None = None,
    options: InsightOptions | None = None,
) -> list[Insight]:
    """Return the insights the facts support, most urgent first, filtered as asked."""
    chosen = options or InsightOptions(thresholds=thresholds or Thresholds())
    wanted = list(categories) if categories is not None else list(Category)
    found = [
        insight for category in wanted for insight in category_insights(facts, category, chosen)
    ]
    return rank_insights(found, types=types, categories=categories, focus=chosen.focus)
