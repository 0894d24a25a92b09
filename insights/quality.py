"""Quality insights: what the schedule checks found in the imported data."""

from __future__ import annotations

from insights.confidence import data_confidence
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority

# Findings about faulty data rather than about scheduling practice.
_DATA_FAULTS = ("date", "duration", "dangling", "duplicate", "cost_without")


def quality_insights(facts: ReportFacts) -> list[Insight]:
    warnings = facts.quality_warnings
    if not warnings:
        return []
    flagged = {code for warning in warnings for code in warning.activity_codes}
    faults = [w for w in warnings if any(marker in w.code for marker in _DATA_FAULTS)]
    practice = [w for w in warnings if w not in faults]
    total = max(facts.schedule.activities, 1)
    insights = []
    if faults:
        insights.append(
            Insight(
                insight_type=InsightType.ALERT,
                category=Category.QUALITY,
                title="Faulty data in the imported schedule",
                content=f"{len(faults)} kinds of data fault were found and worked around: "
                + "; ".join(w.message for w in faults[:3]),
                confidence_score=data_confidence(len(flagged), total),
                supporting_data={
                    "source": "import checks",
                    "findings": [w.as_dict() for w in faults],
                },
                priority=Priority.HIGH,
                recommended_actions=(
                    "Correct the flagged dates and durations in the source tool",
                ),
            )
        )
    if practice:
        insights.append(
            Insight(
                insight_type=InsightType.ALERT,
                category=Category.QUALITY,
                title="Schedule checks failing",
                content=f"{len(practice)} schedule checks fail: "
                + ", ".join(w.code for w in practice)
                + ".",
                confidence_score=data_confidence(len(flagged), total),
                supporting_data={
                    "source": "schedule quality checks (DCMA 14-point)",
                    "findings": [w.as_dict() for w in practice],
                },
                priority=Priority.MEDIUM,
                recommended_actions=(
                    "Add missing logic so every activity has a predecessor and a successor",
                    "Replace hard constraints and long lags with logic",
                ),
            )
        )
    return insights
