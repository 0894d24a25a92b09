"""Request and response bodies of the REST API, in the shapes of the API specification."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from risk_analysis import SimulationInputError, check_confidence_levels

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ImportWarningBody(BaseModel):
    code: str
    message: str
    activity_codes: list[str] = Field(default_factory=list)


class ProjectBody(BaseModel):
    """An imported project, as returned by the import and by ``GET /api/projects/{id}``."""

    project_id: uuid.UUID
    name: str
    code: str
    currency: str
    data_date: date
    source_format: str
    activities: int
    relationships: int
    budget_at_completion: float
    actual_cost: float
    planned_start: date | None = None
    planned_finish: date | None = None
    imported_at: datetime
    warnings: list[ImportWarningBody]


class CustomSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    ai_generated: bool = True
    content_type: str = "natural_language"


class GenerateRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/generate``."""

    model_config = ConfigDict(extra="forbid")

    project_id: uuid.UUID
    report_month: str = Field(description="Reporting month as YYYY-MM.")
    report_year: int | None = Field(default=None, ge=1900, le=2200)
    template_id: uuid.UUID | None = None
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    include_ai_insights: bool = True
    include_monte_carlo: bool = True
    custom_sections: list[CustomSection] = Field(default_factory=list, max_length=50)

    @field_validator("report_month")
    @classmethod
    def _check_month(cls, value: str) -> str:
        if not _MONTH.fullmatch(value):
            raise ValueError(f"expected a month as YYYY-MM, got {value!r}")
        return value

    @field_validator("title", "description")
    @classmethod
    def _check_text(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _check_year(self) -> GenerateRequest:
        if self.report_year is not None and self.report_year != int(self.report_month[:4]):
            raise ValueError(
                f"report_year {self.report_year} contradicts report_month {self.report_month}"
            )
        return self


class GenerateResponse(BaseModel):
    id: uuid.UUID
    status: Literal["generating"]
    estimated_completion: datetime
    generation_job_id: uuid.UUID


# Integers beyond 2^53 lose precision in JavaScript clients and do not fit a Yjs number.
_SAFE_INTEGER = 2**53 - 1
# Lowest share of planned resources a Monte Carlo request may assume. Resource-loaded work
# takes 1 / availability times as long. The simulation builds working-time calendars out to
# twice the latest possible finish, so its set-up time grows with 1 / availability. On the
# bundled sample project, build_model took 0.1 s at 0.1 and 13 s at 3e-5 (one core of a
# 2-core machine). Below 10 % of the planned resources the forecast means little anyway.
MIN_RESOURCE_AVAILABILITY = 0.1
Metric = (
    Annotated[int, Field(ge=-_SAFE_INTEGER, le=_SAFE_INTEGER, strict=True)]
    | Annotated[float, Field(allow_inf_nan=False)]
    | Annotated[str, Field(max_length=10_000)]
    | bool
    | None
)


class SectionContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, max_length=1_000_000)
    metrics: dict[Annotated[str, Field(max_length=100)], Metric] | None = Field(
        default=None, max_length=200
    )


class SectionUpdateRequest(BaseModel):
    """Body of ``PUT /api/reports/pmr/{report_id}/sections/{section_id}``."""

    model_config = ConfigDict(extra="forbid")

    content: SectionContent
    merge_strategy: Literal["replace", "merge", "append"] = "replace"


class SectionBody(BaseModel):
    section_id: str
    title: str
    content: dict[str, Any]


class SectionUpdateResponse(BaseModel):
    report_id: uuid.UUID
    section: SectionBody
    version: int
    last_modified: datetime | None


class ReportBody(BaseModel):
    """Body of ``GET /api/reports/pmr/{report_id}``."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str | None = None
    report_month: str
    status: Literal["generating", "completed", "failed"]
    error: str | None = None
    sections: list[SectionBody]
    key_metrics: dict[str, Any] = Field(default_factory=dict)
    earned_value: dict[str, Any] | None = None
    ai_insights: list[dict[str, Any]]
    monte_carlo_analysis: dict[str, Any] | None
    version: int
    last_modified: datetime | None
    generated_at: datetime | None


class TemplateSection(BaseModel):
    section_id: str
    title: str
    ai_suggestions: dict[str, Any] = Field(default_factory=dict)


class TemplateBody(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    template_type: str
    industry_focus: str | None
    sections: list[TemplateSection]
    export_formats: list[str]
    usage_count: int
    rating: float | None


class TemplateList(BaseModel):
    templates: list[TemplateBody]


class JobBody(BaseModel):
    """Body of ``GET /api/jobs/{job_id}``."""

    id: uuid.UUID
    kind: str
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    progress: float
    message: str | None
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download_url: str | None = Field(
        default=None, description="Signed, expiring link to a completed export's file."
    )


class Problem(BaseModel):
    """An RFC 9457 problem details body."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class MonteCarloParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    budget_uncertainty: float = Field(
        default=0.15,
        ge=0,
        le=2,
        description="Relative spread of remaining cost without estimates.",
    )
    schedule_uncertainty: float = Field(
        default=0.20,
        ge=0,
        le=2,
        description="Relative spread of remaining durations without estimates.",
    )
    resource_availability: float = Field(
        default=1.0,
        ge=MIN_RESOURCE_AVAILABILITY,
        le=1,
        description=(
            "Share of planned resources available, from 0.1 to 1; resource-loaded work "
            "takes 1 / resource_availability times as long."
        ),
    )


class MonteCarloRequest(BaseModel):
    """Body of ``POST /api/reports/pmr/{report_id}/monte-carlo``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    analysis_type: Literal["budget_variance", "schedule", "both"] = "both"
    iterations: int = Field(default=10_000, ge=100, le=1_000_000)
    confidence_levels: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.5, 0.8, 0.95], min_length=1, max_length=20
    )
    parameters: MonteCarloParameters = Field(default_factory=MonteCarloParameters)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    @field_validator("confidence_levels")
    @classmethod
    def _check_levels(cls, levels: list[float]) -> list[float]:
        if len(set(levels)) != len(levels):
            raise ValueError("confidence levels must not repeat")
        try:
            check_confidence_levels(levels)
        except SimulationInputError as error:
            raise ValueError(error.message) from error
        return sorted(levels)


class JobStarted(BaseModel):
    job_id: uuid.UUID
    status: Literal["queued"]
    estimated_completion: datetime
    seed: int | None = None
