"""Request and response bodies of insights, chat editing and project documents."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from insights import Category

InsightTypeName = Literal["prediction", "recommendation", "alert", "summary"]
CategoryName = Literal["budget", "schedule", "resource", "risk", "quality"]

# Focus areas of the API's example and the plain category names, by the category they favour.
FOCUS_AREAS: dict[str, Category] = {
    "cost_optimization": Category.BUDGET,
    "cost_control": Category.BUDGET,
    "budget": Category.BUDGET,
    "schedule_recovery": Category.SCHEDULE,
    "schedule": Category.SCHEDULE,
    "resource_optimization": Category.RESOURCE,
    "resource_levelling": Category.RESOURCE,
    "resource": Category.RESOURCE,
    "risk_mitigation": Category.RISK,
    "risk": Category.RISK,
    "data_quality": Category.QUALITY,
    "quality": Category.QUALITY,
}
_HORIZON = re.compile(r"^(\d{1,3})_(month|months|week|weeks)$")
MAX_HORIZON_MONTHS = 24


class InsightContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    focus_areas: list[str] = Field(default_factory=list, max_length=12)
    time_horizon: str = Field(
        default="3_months",
        description="How far ahead resource loading and trends look: N_months or N_weeks.",
    )

    @field_validator("focus_areas")
    @classmethod
    def _check_focus(cls, areas: list[str]) -> list[str]:
        unknown = sorted(set(areas) - set(FOCUS_AREAS))
        if unknown:
            raise ValueError(f"unknown focus areas {unknown}; use one of {sorted(FOCUS_AREAS)}")
        return areas

    @field_validator("time_horizon")
    @classmethod
    def _check_horizon(cls, value: str) -> str:
        match = _HORIZON.fullmatch(value)
        if match is None:
            raise ValueError(f"expected a horizon such as 3_months or 6_weeks, got {value!r}")
        if not 1 <= _months(int(match[1]), match[2]) <= MAX_HORIZON_MONTHS:
            raise ValueError(f"the horizon must be 1 week to {MAX_HORIZON_MONTHS} months")
        return value

    @property
    def horizon_months(self) -> int:
        match = _HORIZON.fullmatch(self.time_horizon)
        assert match is not None
        return _months(int(match[1]), match[2])

    @property
    def focus(self) -> tuple[Category, ...]:
        return tuple(dict.fromkeys(FOCUS_AREAS[area] for area in self.focus_areas))


def _months(count: int, unit: str) -> int:
    # A horizon in weeks covers the months it reaches into, at least one.
    return count if unit.startswith("month") else max(1, -(-count // 4))


class InsightGenerateRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/insights/generate``."""

    model_config = ConfigDict(extra="forbid")

    insight_types: list[InsightTypeName] | None = Field(default=None, min_length=1)
    categories: list[CategoryName] | None = Field(default=None, min_length=1)
    context: InsightContext = Field(default_factory=InsightContext)


class InsightList(BaseModel):
    report_id: uuid.UUID
    insights: list[dict[str, Any]]
    version: int | None = None
    horizon_months: int | None = None
    focus: list[str] = Field(default_factory=list)


class ValidationRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/insights/{insight_id}/validation``."""

    model_config = ConfigDict(extra="forbid")

    validation_status: Literal["validated", "rejected", "pending"]
    comment: str = Field(default="", max_length=5000)


class ReviewBody(BaseModel):
    insight_id: str
    validation_status: str
    previous_status: str
    user_id: str
    comment: str
    reviewed_at: datetime


class ValidationResponse(BaseModel):
    insight: dict[str, Any]
    review: ReviewBody
    version: int


class ChatContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_section: str | None = Field(default=None, max_length=64)
    user_role: str | None = Field(
        default=None,
        max_length=32,
        description="Informational; permissions come from the token and the session.",
    )


class ChatRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/edit/chat``."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=10_000)
    session_id: uuid.UUID | None = None
    context: ChatContext = Field(default_factory=ChatContext)


class ChangeApplied(BaseModel):
    section_id: str
    change_type: str
    old_content: str
    new_content: str
    confidence: float


class ChangeRefused(BaseModel):
    section_id: str | None
    change_type: str
    reason: str


class Suggestion(BaseModel):
    type: str
    content: str
    section: str | None = None
    insight_id: str | None = None


class Citation(BaseModel):
    passage_id: str
    source: str
    title: str
    locator: str
    excerpt: str


class ChatResponse(BaseModel):
    response: str
    changes_applied: list[ChangeApplied]
    session_id: uuid.UUID
    suggestions: list[Suggestion]
    refused: list[ChangeRefused] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    model: str | None = None


class DocumentBody(BaseModel):
    document_id: uuid.UUID
    project_id: uuid.UUID
    name: str
    media_type: str
    characters: int
    passages: int
    created_by: str | None
    created_at: datetime


class PassageHit(BaseModel):
    score: float
    passage_id: str
    source: str
    title: str
    locator: str
    excerpt: str


class SearchResult(BaseModel):
    query: str
    passages: list[PassageHit]
