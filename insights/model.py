"""Insights: predictions, alerts, recommendations and summaries with their evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class InsightType(StrEnum):
    PREDICTION = "prediction"
    RECOMMENDATION = "recommendation"
    ALERT = "alert"
    SUMMARY = "summary"


class Category(StrEnum):
    BUDGET = "budget"
    SCHEDULE = "schedule"
    RESOURCE = "resource"
    RISK = "risk"
    QUALITY = "quality"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ValidationStatus(StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Status limits; the defaults are the common green and red lines for CPI and SPI."""

    index_green: float = 0.95
    index_red: float = 0.90
    tcpi_unachievable: float = 1.10
    milestone_slip_days: int = 5
    # Total float on the driving path below this many working days raises an alert.
    critical_float_days: float = 10.0
    # CPLI below this fails the DCMA critical path length index check.
    cpli_minimum: float = 0.95
    # Unit rates paid above budget by more than this fraction raise an alert.
    unit_rate_tolerance: float = 0.05
    # Forecast monthly demand above this multiple of a resource's best month so far.
    resource_peak_ratio: float = 1.25
    # Months of reported actuals the short-term CPI is taken over.
    trend_months: int = 3


@dataclass(frozen=True, slots=True)
class Insight:
    insight_type: InsightType
    category: Category
    title: str
    content: str
    confidence_score: float
    supporting_data: Mapping[str, Any]
    priority: Priority
    predicted_impact: str | None = None
    recommended_actions: tuple[str, ...] = ()
    validation_status: ValidationStatus = ValidationStatus.PENDING
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def insight_id(self) -> str:
        """A stable id from type, category and title, so regenerated insights keep theirs."""
        key = f"{self.insight_type}:{self.category}:{self.title}".encode()
        return hashlib.sha256(key).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "insight_id": self.insight_id,
            "insight_type": self.insight_type.value,
            "category": self.category.value,
            "title": self.title,
            "content": self.content,
            "confidence_score": round(self.confidence_score, 4),
            "supporting_data": dict(self.supporting_data),
            "predicted_impact": self.predicted_impact,
            "recommended_actions": list(self.recommended_actions),
            "priority": self.priority.value,
            "validation_status": self.validation_status.value,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
        }


def clamp(value: float, low: float = 0.05, high: float = 0.99) -> float:
    """Keep a confidence inside (0, 1): no insight is certain, none worthless once shown."""
    return min(max(value, low), high)
